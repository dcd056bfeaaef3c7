import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { writeSvgAndPng } from './svg-png.js';
import type { Ablation, AblationTable } from './ablation.js';
import { collectPlots, renderAblationHtml } from './ablation-html.js';
import { ABLATION_FILES, ablationChartFile, renderAblationJson, renderAblationMarkdown, taskTitle, variantLabel } from './ablation-markdown.js';
import { type BarChartSpec, renderBarChart } from './bar-chart.js';

const ANCHOR_COLOR = '#ff7f0e';

/** One task's table as a bar chart: the ranked variants, anchors in their own colour. */
export function ablationChartSpec(table: AblationTable): BarChartSpec {
  return {
    title: `${taskTitle(table.task)}: test accuracy per variant${table.preset ? ` (preset ${table.preset})` : ''}`,
    xLabel: 'test accuracy, % (bar: mean over seeds; whisker: ± 1 sd; dots: seeds)',
    bars: table.rows.map((r) => ({
      label: variantLabel(r),
      mean: r.testAccuracy.n > 0 ? r.testAccuracy.mean : null,
      std: r.testAccuracy.std,
      values: r.testAccuracy.values,
      ...(r.anchor ? { color: ANCHOR_COLOR } : {}),
    })),
    ...(table.majorityRate !== null ? { reference: { label: `majority class (${table.majorityRate.toFixed(2)}%)`, value: table.majorityRate } } : {}),
  };
}

/** Writes ablation.md, ablation.json, ablation.html and one chart per task (SVG and PNG) into the root; returns the paths. */
export async function writeAblationReport(a: Ablation): Promise<string[]> {
  const files: Array<[string, string]> = [
    [join(a.root, ABLATION_FILES.markdown), renderAblationMarkdown(a)],
    [join(a.root, ABLATION_FILES.json), renderAblationJson(a)],
    [join(a.root, ABLATION_FILES.html), renderAblationHtml(a, collectPlots(a))],
  ];
  for (const [path, text] of files) await writeFileAtomic(path, text);
  const charts: string[] = [];
  for (const t of a.tables) charts.push(...(await writeSvgAndPng(join(a.root, ablationChartFile(t.task)), renderBarChart(ablationChartSpec(t)))));
  return [...files.map(([path]) => path), ...charts];
}
