// Measures the speed table's cells: every mixer at every length, shortest first, the baseline
// mixer before the others, skipping what the budget rules out (cell-budget.ts) and measuring long
// steps fewer times, so that the whole table fits in minutes rather than hours.
import { type CellBudget, type CellGrowth, type CellHistory, planCell } from './cell-budget.js';
import { type BenchRepeats, type ModelBenchRow, unmeasuredRow } from './model-bench.js';

/** Measures one cell with the given warm-up and repeat counts. */
export type CellRunner = (mixer: string, length: number, counts: BenchRepeats) => Promise<ModelBenchRow>;

export interface SpeedSweepOptions {
  mixers: string[];
  lengths: number[];
  /** Measured first and always included: the table's unit (softmax attention). */
  baseline: string;
  /** Counts for ordinary cells. */
  counts: BenchRepeats;
  /** Counts for cells whose step is predicted to take longer than `longStepMs`. */
  longCounts: BenchRepeats;
  longStepMs: number;
  budget: CellBudget;
  /** What is known of a mixer's growth (default: nothing beyond its measurements). */
  growth?: (mixer: string) => CellGrowth;
  onRow?: (row: ModelBenchRow) => void;
}

/** The mixers in measuring order: the baseline first (added when missing), the others as given, each once. */
export function sweepOrder(mixers: readonly string[], baseline: string): string[] {
  return [baseline, ...mixers.filter((m, i) => m !== baseline && mixers.indexOf(m) === i)];
}

/** The counts a cell gets from its predicted step time. */
export function countsFor(predictedStepMs: number | null, opts: Pick<SpeedSweepOptions, 'counts' | 'longCounts' | 'longStepMs'>): BenchRepeats {
  return predictedStepMs !== null && predictedStepMs > opts.longStepMs ? opts.longCounts : opts.counts;
}

export async function measureSpeedSweep(opts: SpeedSweepOptions, runCell: CellRunner): Promise<ModelBenchRow[]> {
  const lengths = [...new Set(opts.lengths)].sort((a, b) => a - b);
  const rows: ModelBenchRow[] = [];
  for (const mixer of sweepOrder(opts.mixers, opts.baseline)) {
    const history: CellHistory[] = [];
    for (const length of lengths) {
      const plan = planCell(history, length, opts.budget, opts.growth?.(mixer));
      const counts = countsFor(plan.predictedStepMs, opts);
      const row = plan.run ? await runCell(mixer, length, counts) : unmeasuredRow(mixer, length, counts, { skipped: plan.reason });
      history.push({
        length,
        ...(Number.isFinite(row.stepMs) ? { stepMs: row.stepMs } : {}),
        ...(row.peakBytes > 0 ? { peakBytes: row.peakBytes } : {}),
        ...(row.error !== undefined ? { error: row.error } : {}),
        ...(row.skipped !== undefined ? { skipped: row.skipped } : {}),
      });
      rows.push(row);
      opts.onRow?.(row);
    }
  }
  return rows;
}
