import { cell, rate } from './format.js';
import type { Leaderboard, LeaderboardEntry, SeedStats, SummaryRow } from './leaderboard.js';
import { LRA_PARAM_BUDGET } from './mixer-params.js';
import { LRA_PRESET, type LraComparisonCell, type LraComparisonRow } from './lra-comparison.js';
import { formatPublished, isLraTask, LRA_TASKS, NOT_PUBLISHED, TASK_TITLES } from './published.js';

/** "36.10 ± 0.52 (n=2)": the mean, the sample deviation where there is one, and the count. */
export function formatStats(s: { mean: number; std: number | null; n: number }): string {
  return `${s.mean.toFixed(2)}${s.std === null ? '' : ` ± ${s.std.toFixed(2)}`} (n=${s.n})`;
}

function meanOnly(s: SeedStats): string {
  return s.mean.toFixed(2);
}

function row(cells: string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

function taskTitle(task: string): string {
  return isLraTask(task) ? TASK_TITLES[task] : task;
}

function experimentName(e: { mixer: string; preset: string; settings: string }): string {
  return `${e.mixer}${e.settings ? ` (${e.settings})` : ''}`;
}

function summaryTable(summary: readonly SummaryRow[]): string[] {
  const header = ['mixer', 'preset / source', ...LRA_TASKS.map((t) => TASK_TITLES[t]), 'Avg (5 tasks)'];
  const lines = [row(header), row(header.map(() => '---'))];
  for (const s of summary) {
    const ours = LRA_TASKS.map((t) => {
      const stats = s.tasks[t];
      return stats ? formatStats(stats) : '-';
    });
    lines.push(row([experimentName(s), s.preset, ...ours, s.average === null ? '-' : s.average.toFixed(2)]));
    if (s.published) {
      const p = s.published;
      const scores = LRA_TASKS.map((t) => (p.scores[t] != null ? p.scores[t]!.toFixed(2) : t === 'pathx' && p.pathxFailed ? 'FAIL' : '-'));
      lines.push(row([`↳ published: ${p.model}`, p.source, ...scores, p.average === null ? '-' : p.average.toFixed(2)]));
    } else {
      lines.push(row([`↳ published`, '', ...LRA_TASKS.map(() => NOT_PUBLISHED), NOT_PUBLISHED]));
    }
  }
  return lines;
}

function signed(points: number): string {
  return `${points >= 0 ? '+' : ''}${points.toFixed(2)}`;
}

/** "41.20 / 40.10 (-1.24)" at the lra preset; "38.00 / - [preset tiny]" elsewhere, with no difference. */
function comparisonCell(c: LraComparisonCell | undefined): string {
  if (!c) return '-';
  const last = c.testAccuracyLast === null ? '-' : c.testAccuracyLast.toFixed(2);
  const values = `${c.testAccuracy.toFixed(2)} / ${last}`;
  if (c.preset !== LRA_PRESET) return `${values} [preset ${c.preset}]`;
  return c.diffToPublished === null ? values : `${values} (${signed(c.diffToPublished)})`;
}

function lraComparisonTable(rows: readonly LraComparisonRow[]): string[] {
  const header = ['model', 'row', ...LRA_TASKS.map((t) => TASK_TITLES[t])];
  const lines = [row(header), row(header.map(() => '---'))];
  for (const r of rows) {
    lines.push(row([`${r.model} (${r.mixer})`, 'ours', ...LRA_TASKS.map((t) => comparisonCell(r.ours[t]))]));
    const published = LRA_TASKS.map((t) => (r.published[t] !== null ? r.published[t]!.toFixed(2) : t === 'pathx' && r.pathxFailed ? 'FAIL' : '-'));
    lines.push(row(['', 'published', ...published]));
  }
  return lines;
}

/** "1.02", or "2.49 (over 1.1)": LRA compares models within 10% of the Transformer's size. */
function budgetCell(ratio: number | null): string {
  if (ratio === null) return '-';
  return ratio > LRA_PARAM_BUDGET ? `${ratio.toFixed(2)} (over ${LRA_PARAM_BUDGET})` : ratio.toFixed(2);
}

function taskTable(entries: readonly LeaderboardEntry[]): string[] {
  // Steps beside the preset: runs of different lengths are different experiments, never averaged.
  const header = ['mixer', 'preset', 'steps', 'runs (seeds)', 'test acc. % (mean ± sd)', 'best val. % (mean)', 'last ckpt test % (mean)', 'published %', 'diff. (points)', 'majority %', 'steps/s', 'tokens/s', 'backend', 'params', 'params / Transformer', 'config'];
  const lines = [row(header), row(header.map(() => '---'))];
  for (const e of entries) {
    const published = e.published ? `${formatPublished(e.published)} (${e.published.model})` : NOT_PUBLISHED;
    lines.push(
      row([
        experimentName(e),
        e.preset,
        e.steps.map((n) => n.toLocaleString('en-US')).join(', '),
        `${e.testAccuracy.n} (${e.seeds.join(', ')})`,
        formatStats(e.testAccuracy),
        meanOnly(e.bestValAccuracy),
        e.testAccuracyLast === null ? '-' : meanOnly(e.testAccuracyLast),
        published,
        e.diffToPublished !== null ? signed(e.diffToPublished) : e.preset !== LRA_PRESET && e.published ? `none (preset ${e.preset})` : '-',
        e.majorityRate.toFixed(2),
        rate(e.speed.stepsPerSec),
        rate(e.speed.tokensPerSec),
        e.backends.join(', '),
        e.params.map((p) => p.toLocaleString('en-US')).join(', '),
        budgetCell(e.paramsRatio),
        e.configHash,
      ]),
    );
  }
  return lines;
}

/** The leaderboard as markdown: conventions first, then the tasks x mixers summary, then per-task detail. */
export function renderLeaderboardMarkdown(lb: Leaderboard): string {
  const c = lb.conventions;
  const out: string[] = ['# LRA leaderboard', ''];
  out.push(
    `${lb.runs.finished} finished run(s) in ${lb.entries.length} experiment(s), ${lb.runs.unfinished} unfinished, read from ${lb.roots.join(', ')}.`,
    '',
  );
  out.push(
    `- Accuracy: ${c.accuracy}; ${c.spread}.`,
    `- Grouping: ${c.grouping}.`,
    `- ${c.average}`,
    `- Published: ${c.published}.`,
    `- Speed: ${c.speed}.`,
    '',
  );

  // Only when some run is of a Table 1 model: eleven empty rows would say nothing.
  if (lb.lraComparison.some((r) => Object.keys(r.ours).length > 0)) {
    out.push('## LRA Table 1', '');
    out.push(
      `Each model's best run per task: test % of the best validation checkpoint / of the last checkpoint (the one LRA's code tests), ` +
        `and in brackets the difference to the published number in points, for runs at the ${LRA_PRESET} preset only. ` +
        `Where no ${LRA_PRESET} run exists the best run of another preset is shown, marked with it, and not compared.`,
      '',
    );
    out.push(...lraComparisonTable(lb.lraComparison), '');
  }

  if (lb.entries.length > 0) {
    out.push('## Tasks x mixers', '');
    out.push('Each mixer row gives mean ± sd (n) of test accuracy in %; the row below it gives the published numbers for the same mixer.', '');
    out.push(...summaryTable(lb.summary), '');
    const tasks = [...new Set(lb.entries.map((e) => e.task))];
    for (const task of tasks) {
      out.push(`## ${taskTitle(task)}`, '');
      out.push(...taskTable(lb.entries.filter((e) => e.task === task)), '');
    }
    const warnings = lb.entries.flatMap((e) => e.warnings.map((w) => `${e.task} / ${experimentName(e)}: ${w}`));
    if (warnings.length > 0) out.push('## Warnings', '', ...warnings.map((w) => `- ${w}`), '');
  } else {
    out.push('No finished runs.', '');
  }

  if (lb.unfinished.length > 0) {
    out.push('## Unfinished runs', '', 'Runs without a usable report.json: not counted above.', '');
    out.push(row(['run', 'task', 'mixer', 'preset', 'seed', 'progress', 'why']), row(Array(7).fill('---') as string[]));
    for (const u of lb.unfinished) {
      const progress = u.lastStep === null ? 'no steps logged' : `step ${u.lastStep}${u.steps === null ? '' : ` of ${u.steps}`}`;
      out.push(row([u.dir, u.task ?? '?', u.mixer ?? '?', u.preset ?? '?', u.seed === null ? '?' : String(u.seed), progress, u.reason]));
    }
    out.push('');
  }
  return out.join('\n');
}

/** The JSON form: the same content as the markdown, as data. */
export function renderLeaderboardJson(lb: Leaderboard): string {
  return `${JSON.stringify(lb, null, 2)}\n`;
}
