// Writes the speed table's three files: lra-speed.md (to read), lra-speed.json (the rows as
// `lra bench --json` prints them, plus the table), lra-speed.svg (step time against length) and its
// PNG copy lra-speed.png.
// JSON has no NaN: JSON.stringify writes an unmeasured timing as null.
import { join } from 'node:path';
import { writeSvgAndPng } from '../report/svg-png.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { ModelBenchRow } from './model-bench.js';
import { PUBLISHED_SPEED, PUBLISHED_SPEED_SOURCE } from './published-speed.js';
import { type SpeedRunInfo, speedTableMarkdown } from './speed-markdown.js';
import { speedPlotSvg } from './speed-plot.js';
import { type SpeedTable, speedGoals } from './speed-table.js';

export const SPEED_FILES = { markdown: 'lra-speed.md', json: 'lra-speed.json', plot: 'lra-speed.svg' } as const;

export function speedJson(table: SpeedTable, rows: readonly ModelBenchRow[], info: SpeedRunInfo): object {
  const { machine, backend, ...settings } = info;
  return {
    backend,
    machine,
    settings,
    baseline: table.baseline,
    results: rows,
    table: { lengths: table.lengths, mixers: table.mixers, cells: table.cells },
    growth: table.growth,
    goals: speedGoals(table),
    published: { source: PUBLISHED_SPEED_SOURCE, rows: PUBLISHED_SPEED },
  };
}

/** Writes the files into `dir` (the chart with its PNG copy); returns their paths. */
export async function writeSpeedFiles(dir: string, table: SpeedTable, rows: readonly ModelBenchRow[], info: SpeedRunInfo): Promise<string[]> {
  const paths = [join(dir, SPEED_FILES.markdown), join(dir, SPEED_FILES.json)];
  await writeFileAtomic(paths[0]!, speedTableMarkdown(table, info));
  await writeFileAtomic(paths[1]!, `${JSON.stringify(speedJson(table, rows, info), null, 2)}\n`);
  return [...paths, ...(await writeSvgAndPng(join(dir, SPEED_FILES.plot), speedPlotSvg(table)))];
}
