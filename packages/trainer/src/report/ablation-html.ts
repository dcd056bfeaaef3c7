import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Ablation, AblationRow, AblationTable } from './ablation.js';
import { ablationChartFile, formatAccuracy, rowCells, tableHeader, tableHeading, variantLabel } from './ablation-markdown.js';
import { escapeXml } from './svg-chart.js';

/** The training curves every run writes (plots/), shown beside the analysis plots. */
export const TRAINING_PLOTS = ['accuracy.svg', 'loss.svg'] as const;

/** The plots one variant has, from the run of its lowest seed that has any. */
export interface VariantPlots {
  /** The run the plots come from; null for a variant without finished runs. */
  dir: string | null;
  /** File names in <dir>/analysis/ (*.svg), sorted. */
  analysis: string[];
  hasAnalysisIndex: boolean;
  /** File names in <dir>/plots/ among TRAINING_PLOTS. */
  training: string[];
}

function svgFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.svg')).sort() : [];
}

/** Reads which plots each variant's runs hold: an analysed run is preferred to the lowest seed. */
export function collectPlots(ablation: Ablation): Map<string, VariantPlots> {
  const out = new Map<string, VariantPlots>();
  for (const table of ablation.tables) {
    for (const row of table.rows) {
      const candidates = row.runDirs.map((dir) => ({
        dir,
        analysis: svgFiles(join(dir, 'analysis')),
        hasAnalysisIndex: existsSync(join(dir, 'analysis', 'index.html')),
        training: TRAINING_PLOTS.filter((p) => existsSync(join(dir, 'plots', p))),
      }));
      const chosen = candidates.find((c) => c.analysis.length > 0) ?? candidates[0] ?? { dir: null, analysis: [], hasAnalysisIndex: false, training: [] };
      out.set(`${table.task}\u0000${row.id}`, chosen);
    }
  }
  return out;
}

function href(root: string, path: string): string {
  return relative(root, path).split(sep).map(encodeURIComponent).join('/');
}

const e = escapeXml;

function htmlTable(a: Ablation, table: AblationTable, plots: Map<string, VariantPlots>): string[] {
  const lines = ['<table>', `<tr>${tableHeader(table).map((h) => `<th>${e(h)}</th>`).join('')}<th>runs</th></tr>`];
  table.rows.forEach((row, i) => {
    const cells = rowCells(table, row, i);
    const p = plots.get(`${table.task}\u0000${row.id}`);
    const links = row.runDirs.map((dir, k) => {
      const analysed = existsSync(join(dir, 'analysis', 'index.html'));
      return `<a href="${href(a.root, join(dir, 'report.md'))}">s${row.seeds[k]}</a>${analysed ? ` (<a href="${href(a.root, join(dir, 'analysis', 'index.html'))}">analysis</a>)` : ''}`;
    });
    const cls = row.anchor ? ' class="anchor"' : p && p.analysis.length === 0 && row.runDirs.length > 0 ? ' class="no-analysis"' : '';
    lines.push(`<tr${cls}>${cells.map((c) => `<td>${e(c)}</td>`).join('')}<td>${links.join(', ') || '-'}</td></tr>`);
  });
  lines.push('</table>');
  return lines;
}

function caption(table: AblationTable, row: AblationRow): string {
  const axes = row.axes ? table.axes.map((a) => `${a}=${row.axes![a]}`).join(', ') : row.anchor ? 'anchor' : '';
  return `<figcaption><b>${e(variantLabel(row))}</b>${axes ? `<br>${e(axes)}` : ''}<br>${e(formatAccuracy(row))}</figcaption>`;
}

/** One plot of every variant side by side; a variant without it says so. */
function plotRow(a: Ablation, table: AblationTable, plots: Map<string, VariantPlots>, title: string, file: string, kind: 'analysis' | 'training'): string[] {
  const lines = [`<h4>${e(title)}</h4>`, '<div class="side-by-side">'];
  for (const row of table.rows) {
    const p = plots.get(`${table.task}\u0000${row.id}`)!;
    const has = kind === 'analysis' ? p.analysis.includes(file) : p.training.includes(file);
    const path = p.dir === null ? null : join(p.dir, kind === 'analysis' ? 'analysis' : 'plots', file);
    const body =
      path !== null && has
        ? `<a href="${href(a.root, path)}"><img src="${href(a.root, path)}" alt="${e(`${row.id}: ${file}`)}" loading="lazy"></a>`
        : `<p class="absent">${e(p.dir === null ? 'no finished run' : kind === 'analysis' ? `no analysis/${file} (run lra analyze --run ${p.dir})` : `no plots/${file}`)}</p>`;
    lines.push(`<figure data-variant="${e(row.id)}">${caption(table, row)}${body}</figure>`);
  }
  lines.push('</div>');
  return lines;
}

const STYLE = `
body { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; font-size: 13px; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: left; }
th { background: #f2f2f2; }
tr.anchor td { background: #fff6e0; }
tr.no-analysis td:nth-child(2)::after { content: " *"; color: #888; }
.side-by-side { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 10px; }
figure { margin: 0; border: 1px solid #ddd; padding: 6px; font-size: 12px; }
figure img { width: 100%; height: auto; }
p.absent { color: #888; font-style: italic; }
p.note { color: #555; }
`;

/**
 * The ablation as one page: each task's ranked table, its accuracy chart, then every analysis
 * plot (and the training curves) of every variant side by side, linked from the run folders.
 */
export function renderAblationHtml(a: Ablation, plots: Map<string, VariantPlots>): string {
  const out: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8"><title>Spectral-filter ablation</title>',
    `<style>${STYLE}</style></head><body>`,
    '<h1>Spectral-filter ablation</h1>',
  ];
  if (a.description) out.push(`<p>${e(a.description)}</p>`);
  out.push(
    `<p class="note">Read from ${e(a.root)}${a.sweepFile ? ` (sweep ${e(a.sweepFile)})` : ''}. ${e(a.conventions.accuracy)}; ${e(a.conventions.spread)}. ${e(a.conventions.speed)}. ${e(a.conventions.order)}.</p>`,
  );
  for (const table of a.tables) {
    out.push(`<h2>${e(tableHeading(table))}</h2>`, ...htmlTable(a, table, plots));
    out.push(`<p><img src="${encodeURIComponent(ablationChartFile(table.task))}" alt="test accuracy per variant"></p>`);
    const keyOf = (row: AblationRow) => `${table.task}\u0000${row.id}`;
    const analysisFiles = [...new Set(table.rows.flatMap((r) => plots.get(keyOf(r))?.analysis ?? []))].sort();
    const missing = table.rows.filter((r) => r.runDirs.length > 0 && (plots.get(keyOf(r))?.analysis.length ?? 0) === 0).map((r) => r.id);
    out.push('<h3>Analysis plots</h3>');
    if (analysisFiles.length === 0) {
      out.push('<p class="absent">No run has analysis plots yet: <code>lra analyze --run DIR</code> writes DIR/analysis/ (<code>lra sweep FILE --analyze</code> runs it on every run of a sweep).</p>');
    } else {
      if (missing.length > 0) out.push(`<p class="note">Without analysis (marked * in the table): ${e(missing.join(', '))}.</p>`);
      for (const f of analysisFiles) out.push(...plotRow(a, table, plots, `analysis/${f}`, f, 'analysis'));
    }
    out.push('<h3>Training curves</h3>');
    for (const f of TRAINING_PLOTS) out.push(...plotRow(a, table, plots, `plots/${f}`, f, 'training'));
  }
  if (a.unfinished.length > 0) out.push('<h2>Unfinished runs</h2>', '<ul>', ...a.unfinished.map((u) => `<li>${e(u.dir)}: ${e(u.reason)}</li>`), '</ul>');
  out.push('</body></html>');
  return `${out.join('\n')}\n`;
}
