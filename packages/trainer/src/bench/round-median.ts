// `lra bench --threads 1,2 --rounds R`: the thread counts of a cell measured in R alternating
// rounds (1, 2, 1, 2, ...), each in a process of its own, and each count's figures the medians of
// its rounds. On a machine whose load drifts (a shared VM: the same cell moved by +-20% within
// minutes), one process per count measures the drift as much as the threads; alternation spreads
// the drift over every count alike.
import type { ModelBenchRow } from './model-bench.js';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * One row from a cell's rounds at one thread count: the first timed row with its step, forward and
 * tokens per second replaced by the medians over the rounds that timed, and each round's step in
 * `roundStepMs`. Where no round timed, the first row (with its error) stands.
 */
export function medianOfRounds(rounds: readonly ModelBenchRow[]): ModelBenchRow {
  if (rounds.length === 0) throw new Error('medianOfRounds: no rounds');
  const timed = rounds.filter((r) => Number.isFinite(r.stepMs));
  if (timed.length === 0) return rounds[0]!;
  const first = timed[0]!;
  if (rounds.length === 1) return first;
  return {
    ...first,
    stepMs: median(timed.map((r) => r.stepMs)),
    forwardMs: median(timed.map((r) => r.forwardMs)),
    tokensPerSec: median(timed.map((r) => r.tokensPerSec)),
    roundStepMs: rounds.map((r) => r.stepMs),
  };
}
