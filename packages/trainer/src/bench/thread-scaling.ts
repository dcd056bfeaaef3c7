// `lra bench --threads 1,2`: the same cell measured at several thread counts in one invocation,
// and how much faster each count is than the first, so that a speed-up is read off figures taken
// side by side on one machine under one load.
import type { ModelBenchRow } from './model-bench.js';

export interface ThreadScaling {
  mixer: string;
  length: number;
  /** The first thread count asked for: the baseline of the ratios. */
  baseThreads: number;
  /** Per thread count: the median step and forward, and the baseline's time over this one (> 1: faster). */
  cells: Array<{ threads: number; stepMs: number; forwardMs: number; stepSpeedup: number; forwardSpeedup: number }>;
}

/** The thread count a row ran with; rows from before threads were recorded ran on one. */
const threadsOf = (row: ModelBenchRow): number => row.threads ?? 1;
/** The count a row was measured for: what was asked, else what ran. */
const askedOf = (row: ModelBenchRow): number => row.requestedThreads ?? threadsOf(row);

/** Groups rows by (mixer, length), in the order of `threadCounts`; cells without a timing are left out. */
export function threadScaling(rows: readonly ModelBenchRow[], threadCounts: readonly number[]): ThreadScaling[] {
  const out: ThreadScaling[] = [];
  const keys = [...new Set(rows.map((r) => `${r.mixer}\u0000${r.length}`))];
  for (const key of keys) {
    const [mixer, lengthText] = key.split('\u0000') as [string, string];
    const length = Number(lengthText);
    const measured = threadCounts
      .map((asked) => rows.find((r) => r.mixer === mixer && r.length === length && askedOf(r) === asked && Number.isFinite(r.stepMs)))
      .filter((r): r is ModelBenchRow => r !== undefined);
    const first = measured[0];
    if (first === undefined) continue;
    out.push({
      mixer, length, baseThreads: threadsOf(first),
      cells: measured.map((row) => ({
        threads: threadsOf(row), stepMs: row.stepMs, forwardMs: row.forwardMs,
        stepSpeedup: first.stepMs / row.stepMs, forwardSpeedup: first.forwardMs / row.forwardMs,
      })),
    });
  }
  return out;
}

/** One line per cell: "attention @ 1024: 1 thread 1297.0 ms; 2 threads 700.1 ms (1.85x)". */
export function scalingLines(scaling: readonly ThreadScaling[]): string[] {
  return scaling.map((s) => {
    const parts = s.cells.map((c, i) => {
      const speedup = i === 0 ? '' : ` (${c.stepSpeedup.toFixed(2)}x)`;
      return `${c.threads} thread${c.threads === 1 ? '' : 's'} ${c.stepMs.toFixed(1)} ms${speedup}`;
    });
    return `${s.mixer} @ ${s.length}: step ${parts.join('; ')}`;
  });
}
