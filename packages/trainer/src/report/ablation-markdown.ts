import type { Ablation, AblationRow, AblationTable } from './ablation.js';
import { cell, rate } from './format.js';
import { isLraTask, TASK_TITLES } from './published.js';

/** Where the files of an ablation report go, relative to the sweep's results folder. */
export const ABLATION_FILES = { markdown: 'ablation.md', json: 'ablation.json', html: 'ablation.html' } as const;

/** The bar chart of one task's table, beside the markdown. */
export function ablationChartFile(task: string): string {
  return `ablation-accuracy-${task}.svg`;
}

export function taskTitle(task: string): string {
  return isLraTask(task) ? TASK_TITLES[task] : task;
}

/** "36.10 ± 0.52 (n=2)", "(n=1 of 2)" while runs are missing, or why there is no number. */
export function formatAccuracy(row: Pick<AblationRow, 'testAccuracy' | 'expectedRuns'>): string {
  const s = row.testAccuracy;
  const of = row.expectedRuns !== null && row.expectedRuns > s.n ? ` of ${row.expectedRuns}` : '';
  if (s.n === 0) return `no finished runs (0${of})`;
  return `${s.mean.toFixed(2)}${s.std === null ? '' : ` ± ${s.std.toFixed(2)}`} (n=${s.n}${of})`;
}

export function variantLabel(row: Pick<AblationRow, 'id' | 'anchor'>): string {
  return row.anchor ? `${row.id} (anchor)` : row.id;
}

/** The axis cells of a row: its values, or a dash for anchors (they sit outside the grid). */
export function axisCells(table: AblationTable, row: AblationRow): string[] {
  return table.axes.map((a) => row.axes?.[a] ?? '-');
}

export function tableHeader(table: AblationTable): string[] {
  return ['rank', 'variant', ...table.axes, 'params', 'test acc. % (mean ± sd)', 'best val. % (mean)', 'steps/s (mean)', 'ms/step (median)'];
}

/** One row's cells, as both the markdown and the HTML table print them. */
export function rowCells(table: AblationTable, row: AblationRow, position: number): string[] {
  const has = row.testAccuracy.n > 0;
  return [
    has ? String(position + 1) : '-',
    variantLabel(row),
    ...axisCells(table, row),
    row.params.length > 0 ? row.params.map((p) => p.toLocaleString('en-US')).join(', ') : '-',
    formatAccuracy(row),
    has ? row.bestValAccuracy.mean.toFixed(2) : '-',
    has ? rate(row.stepsPerSec) : '-',
    has ? row.msPerStep.toFixed(1) : '-',
  ];
}

function mdRow(cells: string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

export function tableHeading(table: AblationTable): string {
  return `${taskTitle(table.task)}${table.preset ? ` (preset ${table.preset})` : ''}${table.gridMixer ? `: ${table.gridMixer} grid over ${table.axes.join(' x ')}, with anchors` : ''}`;
}

function tableMarkdown(table: AblationTable): string[] {
  const header = tableHeader(table);
  const finished = table.rows.reduce((n, r) => n + r.testAccuracy.n, 0);
  const expected = table.rows.every((r) => r.expectedRuns !== null) ? table.rows.reduce((n, r) => n + (r.expectedRuns ?? 0), 0) : null;
  const backends = [...new Set(table.rows.flatMap((r) => r.backends))].sort();
  const lines = [
    `## ${tableHeading(table)}`,
    '',
    `${finished}${expected === null ? '' : ` of ${expected}`} runs finished in ${table.rows.length} variants` +
      `${backends.length > 0 ? `, backend ${backends.join(', ')}` : ''}` +
      `${table.majorityRate === null ? '' : `; majority class ${table.majorityRate.toFixed(2)}% of the test split`}. ` +
      `Chart: ${ablationChartFile(table.task)}; analysis plots side by side: ${ABLATION_FILES.html}.`,
    '',
    mdRow(header),
    mdRow(header.map(() => '---')),
    ...table.rows.map((r, i) => mdRow(rowCells(table, r, i))),
    '',
  ];
  return lines;
}

/** The ablation report as markdown: conventions, then one ranked table per task. */
export function renderAblationMarkdown(a: Ablation): string {
  const out: string[] = ['# Spectral-filter ablation', ''];
  if (a.description) out.push(a.description, '');
  out.push(
    `Read from ${a.root}${a.sweepFile ? ` (sweep ${a.sweepFile})` : ''}${a.fromManifest ? '' : '; no sweep.json there, so variants are named by their folders'}.`,
    '',
    `- Accuracy: ${a.conventions.accuracy}; ${a.conventions.spread}.`,
    `- Speed: ${a.conventions.speed}.`,
    `- Order: ${a.conventions.order}.`,
    '',
  );
  for (const t of a.tables) out.push(...tableMarkdown(t));
  const warnings = a.tables.flatMap((t) => t.rows.flatMap((r) => r.warnings.map((w) => `${t.task} / ${r.id}: ${w}`)));
  if (warnings.length > 0) out.push('## Warnings', '', ...warnings.map((w) => `- ${w}`), '');
  if (a.unfinished.length > 0) {
    out.push('## Unfinished runs', '', 'Not counted above:', '', ...a.unfinished.map((u) => `- ${u.dir}: ${u.reason}`), '');
  }
  if (a.unlisted.length > 0) {
    out.push('## Runs the sweep does not list', '', 'Finished runs under the folder that sweep.json does not name (an older sweep file?); not counted:', '', ...a.unlisted.map((d) => `- ${d}`), '');
  }
  return out.join('\n');
}

export function renderAblationJson(a: Ablation): string {
  return `${JSON.stringify(a, null, 2)}\n`;
}
