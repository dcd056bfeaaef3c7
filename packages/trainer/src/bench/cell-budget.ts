// Which (mixer, length) cells of the speed table to run. Lengths run shortest first; a cell is
// skipped when a shorter one failed, or when the step time or peak memory predicted from the
// shorter lengths exceeds its budget, so a quadratic mixer at 16K costs nothing instead of hours.
import { predictCost, type LengthCost } from './growth.js';

/** What a shorter length of the same mixer gave: its costs, or why it did not run. */
export interface CellHistory {
  length: number;
  stepMs?: number;
  peakBytes?: number;
  /** Set when the cell ran and failed (out of memory, an error). */
  error?: string;
  /** Set when the cell was skipped. */
  skipped?: string;
}

export interface CellBudget {
  /** Largest predicted milliseconds per train step worth measuring; 0 or Infinity: no limit. */
  stepMs: number;
  /** Largest predicted peak bytes that fit (the wasm heap's limit); undefined: no limit. */
  memoryBytes?: number | undefined;
}

/** What is known of how a mixer's costs grow, beyond the measured points. */
export interface CellGrowth {
  /**
   * The largest exponent of peak memory against length (default 2): 1 for a mixer that blocks
   * its quadratic tensors above a fixed size (MixerSpec.linearMemory), whose peak measured at
   * short, dense lengths would otherwise be extrapolated quadratically past the wasm heap.
   */
  memoryExponent?: number;
}

export type CellPlan =
  | { run: true; predictedStepMs: number | null; predictedPeakBytes: number | null }
  | { run: false; reason: string; predictedStepMs: number | null; predictedPeakBytes: number | null };

/** The tfjs wasm backend's heap ceiling (emscripten getHeapMax() in tfjs-backend-wasm 4.22.0). */
export const WASM_HEAP_LIMIT_BYTES = 4294901760;

const GIB = 2 ** 30;

function costs(history: readonly CellHistory[], key: 'stepMs' | 'peakBytes'): LengthCost[] {
  return history.flatMap((h) => (h.error === undefined && h.skipped === undefined && h[key] !== undefined ? [{ length: h.length, value: h[key]! }] : []));
}

export function formatDuration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s` : `${Math.round(ms)} ms`;
}

/** Decides one cell from the shorter lengths of the same mixer (`history`, any order) and what is known of its growth. */
export function planCell(history: readonly CellHistory[], length: number, budget: CellBudget, growth: CellGrowth = {}): CellPlan {
  const shorter = history.filter((h) => h.length < length);
  const predictedStepMs = predictCost(costs(shorter, 'stepMs'), length);
  const predictedPeakBytes = predictCost(costs(shorter, 'peakBytes'), length, growth.memoryExponent);
  const predicted = { predictedStepMs, predictedPeakBytes };
  const failed = shorter.filter((h) => h.error !== undefined).sort((a, b) => a.length - b.length)[0];
  if (failed) return { run: false, reason: `failed at ${failed.length}`, ...predicted };
  const limit = budget.stepMs > 0 ? budget.stepMs : Infinity;
  // Every limit the cell would break, so the table can say both "too slow" and "too big".
  const over: string[] = [];
  if (predictedStepMs !== null && predictedStepMs > limit) {
    over.push(`predicted step ${formatDuration(predictedStepMs)} > budget ${formatDuration(limit)}`);
  }
  if (budget.memoryBytes !== undefined && predictedPeakBytes !== null && predictedPeakBytes > budget.memoryBytes) {
    over.push(`predicted peak ${(predictedPeakBytes / GIB).toFixed(1)} GiB > ${(budget.memoryBytes / GIB).toFixed(1)} GiB heap`);
  }
  return over.length > 0 ? { run: false, reason: over.join('; '), ...predicted } : { run: true, ...predicted };
}
