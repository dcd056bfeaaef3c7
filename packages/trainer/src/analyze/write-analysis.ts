// Writes an analysis into its run: analysis/analysis.json, one SVG per figure with its PNG copy,
// and index.html, each atomically. The SVG charts reuse clip-path ids, so the page gives each inline copy its own.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSvgAndPng } from '../report/svg-png.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { RunAnalysis } from './analyze-run.js';
import { analysisFigures, type Figure } from './figures.js';
import { renderAnalysisPage } from './html-page.js';

/** Numbers to 6 significant digits (float32 carries about 7), non-finite ones as null. */
export function analysisJson(a: RunAnalysis): string {
  return `${JSON.stringify(a, (_key, value: unknown) => (typeof value === 'number' ? (Number.isFinite(value) ? Number(value.toPrecision(6)) : null) : value), 1)}\n`;
}

/** The same SVG with its element ids made unique to `prefix`, so several can share one page. */
export function uniqueIds(svg: string, prefix: string): string {
  return svg.replace(/id="([^"]+)"/g, `id="${prefix}-$1"`).replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`);
}

export interface WrittenAnalysis {
  dir: string;
  json: string;
  page: string;
  figures: string[];
}

export async function writeAnalysis(a: RunAnalysis, dir = join(a.run, 'analysis')): Promise<WrittenAnalysis> {
  await mkdir(dir, { recursive: true });
  const figures = analysisFigures(a);
  const files: string[] = [];
  for (const f of figures) {
    files.push(...(await writeSvgAndPng(join(dir, `${f.name}.svg`), f.svg)));
    for (const raster of f.rasters ?? []) {
      await writeFileAtomic(join(dir, raster.file), raster.data);
      files.push(join(dir, raster.file));
    }
  }
  const json = join(dir, 'analysis.json');
  await writeFileAtomic(json, analysisJson(a));
  const page = join(dir, 'index.html');
  const inline: Figure[] = figures.map((f) => ({ ...f, svg: uniqueIds(f.svg, f.name) }));
  await writeFileAtomic(page, renderAnalysisPage(a, inline));
  return { dir, json, page, figures: files };
}
