// lra-speed.md: the speed table as LRA's Table 2 lays it out (rows mixers, columns lengths,
// ratios to the Transformer), with this project's absolute figures and LRA's published ratios.
import type { MachineDescription } from '@lra/models';
import { formatDuration } from './cell-budget.js';
import { isOutOfMemory } from './isolated-cell.js';
import { PUBLISHED_SPEED, PUBLISHED_SPEED_LENGTHS, PUBLISHED_SPEED_SOURCE } from './published-speed.js';
import { type SpeedCell, type SpeedTable, speedGoals } from './speed-table.js';

/** What the run measured on, for the table's header. */
export interface SpeedRunInfo {
  backend: string;
  /** Threads each cell's backend reported (wasm), where they were recorded. */
  threads?: number;
  machine: MachineDescription;
  batch: number;
  dModel: number;
  heads: number;
  layers: number;
  mlpDim: number;
  warmup: number;
  repeats: number;
  longWarmup: number;
  longRepeats: number;
  longStepMs: number;
  budgetStepMs: number;
  memoryLimitBytes: number | null;
  /** Cells ran one per child process. */
  isolated: boolean;
  date: string;
  wallSeconds: number;
}

const MIB = 2 ** 20;

export const ratio = (v: number): string => (v >= 100 ? `${v.toFixed(0)}x` : v >= 10 ? `${v.toFixed(1)}x` : `${v.toFixed(2)}x`);
const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const mib = (bytes: number): string => (bytes / MIB).toFixed(bytes >= 100 * MIB ? 0 : 1);

/** A cell that has no measurement, in full: "OOM", the error, or why it was skipped. */
export function unmeasuredText(cell: SpeedCell): string {
  const reason = cell.reason ?? 'not measured';
  if (cell.status === 'failed') return isOutOfMemory(reason) ? 'OOM' : `failed: ${reason.split('\n')[0]!.slice(0, 60)}`;
  return `skipped: ${reason}`;
}

/**
 * The same in a few words, for the grids: "skip: ~23 s/step, ~8.6 GiB" (the predictions that
 * broke the budget), "skip: failed at 2048", "OOM".
 */
export function unmeasuredShort(cell: SpeedCell): string {
  if (cell.status === 'failed') return unmeasuredText(cell);
  const reason = cell.reason ?? 'not measured';
  const step = /predicted step ([\d.]+ m?s) > budget/.exec(reason);
  const peak = /predicted peak ([\d.]+ GiB) >/.exec(reason);
  const parts = [step ? `~${step[1]}/step` : null, peak ? `~${peak[1]}` : null].filter((p): p is string => p !== null);
  return `skip: ${parts.length > 0 ? parts.join(', ') : reason}`;
}

function published(cell: SpeedCell, which: 'speed' | 'memory'): string {
  return cell.published ? ` [LRA ${ratio(cell.published[which])}]` : '';
}

/** "6.74x (432 ms) [LRA 1.14x]"; "~" and "*" when the baseline was estimated. */
export function speedCellText(cell: SpeedCell): string {
  if (cell.stepMs === null) return unmeasuredShort(cell) + published(cell, 'speed');
  const rel = cell.relativeSpeed === null ? 'n/a' : `${cell.baselineEstimated ? '~' : ''}${ratio(cell.relativeSpeed)}${cell.baselineEstimated ? '*' : ''}`;
  return `${rel} (${ms(cell.stepMs)} ms)${published(cell, 'speed')}`;
}

/** "0.13x (224 MiB) [LRA 0.49x]". */
export function memoryCellText(cell: SpeedCell): string {
  if (cell.stepMs === null) return unmeasuredShort(cell) + published(cell, 'memory');
  if (cell.peakBytes === null) return `n/a${published(cell, 'memory')}`;
  const rel = cell.relativeMemory === null ? 'n/a' : `${cell.baselineEstimated ? '~' : ''}${ratio(cell.relativeMemory)}${cell.baselineEstimated ? '*' : ''}`;
  return `${rel} (${mib(cell.peakBytes)} MiB)${published(cell, 'memory')}`;
}

const escapeCell = (s: string): string => s.replace(/\|/g, '\\|');

function grid(table: SpeedTable, text: (c: SpeedCell) => string): string[] {
  const lines = [`| mixer | ${table.lengths.join(' | ')} |`, `|---|${table.lengths.map(() => '---|').join('')}`];
  for (const mixer of table.mixers) {
    const cells = table.lengths.map((n) => {
      const cell = table.cells.find((c) => c.mixer === mixer && c.length === n);
      return cell ? escapeCell(text(cell)) : '';
    });
    lines.push(`| ${mixer} | ${cells.join(' | ')} |`);
  }
  return lines;
}

export function speedTableMarkdown(table: SpeedTable, info: SpeedRunInfo): string {
  const out: string[] = [];
  const anyEstimate = table.cells.some((c) => c.baselineEstimated);
  out.push('# Speed and memory at the LRA lengths', '');
  out.push(
    `Backend ${info.backend}${info.threads !== undefined ? ` (${info.threads} thread${info.threads === 1 ? '' : 's'})` : ''} on ${info.machine.cpu} (${info.machine.cores} cores, ${info.machine.memoryGiB} GiB, Node ${info.machine.node}), ${info.date}.`,
    `Classifier of \`lra bench\`: batch ${info.batch}, d_model ${info.dModel}, ${info.heads} heads, ${info.layers} layer(s), feed-forward ${info.mlpDim}; ` +
      `one train step = forward, cross-entropy, backward, Adam update. Medians of ${info.repeats} timed steps after ${info.warmup} warm-up ` +
      `(${info.longRepeats} after ${info.longWarmup} when a step is predicted above ${formatDuration(info.longStepMs)}). ` +
      `Cells predicted above ${formatDuration(info.budgetStepMs)} per step` +
      (info.memoryLimitBytes !== null ? ` or ${(info.memoryLimitBytes / 2 ** 30).toFixed(1)} GiB of peak memory` : '') +
      ` are skipped, as are lengths above one that failed. ${info.isolated ? 'Every cell ran in a process of its own.' : 'All cells ran in one process.'} ` +
      `Whole run: ${Math.round(info.wallSeconds)} s.`,
    '',
  );
  out.push(`## Train-step speed relative to ${table.baseline}`, '');
  out.push(
    `Steps per second over ${table.baseline}'s at the same length (higher is faster), the step's milliseconds in brackets, ` +
      `and LRA's published ratio to its Transformer in square brackets (${PUBLISHED_SPEED_SOURCE}).`,
    '',
  );
  out.push(...grid(table, speedCellText), '');
  out.push(`## Peak memory relative to ${table.baseline}`, '');
  out.push(
    `peakBytes (the backend's own accounting of tensor memory over one train step) over ${table.baseline}'s at the same length ` +
      '(lower is leaner), MiB in brackets, LRA\'s published ratio in square brackets.',
    '',
  );
  out.push(...grid(table, memoryCellText), '');
  out.push(
    `skip: not run, because its train step was predicted above the budget (~time per step) or its peak above the heap (~GiB), ` +
      'or a shorter length failed; OOM: ran out of memory. The full reasons are under Measurements.',
    '',
  );
  if (anyEstimate) {
    out.push(
      `\\* ${table.baseline} did not run at this length; the ratio divides by its cost predicted from its shorter lengths ` +
        '(a power law through its two longest measured lengths, exponent clamped to [1, 2]; exponent 1.5 from one length). ' +
          'An estimate, not a measurement, and a low one for quadratic attention, so the ratio understates the speed-up.',
      '',
    );
  }
  out.push('## Measurements', '');
  out.push('| mixer | length | params | forward ms | step ms | tokens/s | peak MiB | RSS peak MiB | warm-up/repeats | note |', '|---|---|---|---|---|---|---|---|---|---|');
  for (const c of table.cells) {
    const f = (v: number | null, show: (x: number) => string) => (v === null ? '' : show(v));
    out.push(
      `| ${c.mixer} | ${c.length} | ${f(c.params, String)} | ${f(c.forwardMs, ms)} | ${f(c.stepMs, ms)} | ${f(c.tokensPerSec, (v) => Math.round(v).toString())} | ${f(c.peakBytes, mib)} | ${f(c.rssPeakBytes, mib)} | ${c.warmup === null ? '' : `${c.warmup}/${c.repeats}`} | ${c.stepMs === null ? escapeCell(unmeasuredText(c)) : ''} |`,
    );
  }
  out.push('');
  out.push('## Growth with length (the N log N check)', '');
  out.push(
    'Exponent k of a least-squares fit of step time ~ N^k over the lengths each mixer ran, beside the exponent an exact ' +
      'N log N curve shows over the same range. Spectral, convolution and state-space mixers should grow no faster than N log N ' +
      '(k at most 0.1 above it, the slack for timings on a loaded machine); quadratic attention tends to 2 at long lengths.',
    '',
  );
  out.push('| mixer | kind | lengths | fitted k | N log N k | verdict |', '|---|---|---|---|---|---|');
  for (const g of table.growth) {
    if (!g.check) {
      out.push(`| ${g.mixer} | ${g.kind ?? '?'} | fewer than two | | | |`);
      continue;
    }
    const verdict = g.nLogNExpected ? (g.check.withinNLogN ? 'within N log N' : 'FASTER than N log N') : '';
    out.push(`| ${g.mixer} | ${g.kind ?? '?'} | ${g.check.minLength}-${g.check.maxLength} (${g.check.points}) | ${g.check.exponent.toFixed(2)} | ${g.check.nLogNExponent.toFixed(2)} | ${verdict} |`);
  }
  out.push('');
  const goals = speedGoals(table);
  if (goals.length > 0) {
    out.push('## Goals', '', '| goal | measured | met |', '|---|---|---|');
    for (const g of goals) {
      const value = g.value === null ? 'not measured' : `${g.estimated ? '~' : ''}${ratio(g.value)}${g.estimated ? ' (estimated baseline)' : ''}`;
      out.push(`| ${g.goal} | ${value} | ${g.met === null ? 'not measured' : g.met ? 'yes' : 'no'} |`);
    }
    out.push('');
  }
  out.push('## LRA Table 2, as published', '');
  out.push(`${PUBLISHED_SPEED_SOURCE}. Steps per second, and the ratio to the Transformer in brackets.`, '');
  out.push(`| model | ${PUBLISHED_SPEED_LENGTHS.join(' | ')} | GB at ${PUBLISHED_SPEED_LENGTHS.join(' / ')} |`, `|---|${PUBLISHED_SPEED_LENGTHS.map(() => '---|').join('')}---|`);
  const transformer = PUBLISHED_SPEED[0]!;
  for (const row of PUBLISHED_SPEED) {
    const speeds = row.stepsPerSec.map((s, i) => `${s} (${ratio(s / transformer.stepsPerSec[i]!)})`);
    out.push(`| ${row.model} | ${speeds.join(' | ')} | ${row.memoryGB.join(' / ')} |`);
  }
  out.push('');
  return `${out.join('\n')}`;
}
