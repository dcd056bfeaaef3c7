import type { ModelBenchRow } from '../../src/bench/model-bench.js';

/** A measured row with the given step time and peak; the other fields follow from them. */
export function row(mixer: string, length: number, stepMs: number, peakBytes = 1000, extra: Partial<ModelBenchRow> = {}): ModelBenchRow {
  return {
    mixer,
    length,
    params: 100,
    forwardMs: stepMs / 3,
    stepMs,
    peakBytes,
    rssPeakBytes: 10 * peakBytes,
    tokensPerSec: (8 * length * 1000) / stepMs,
    warmup: 1,
    repeats: 3,
    ...extra,
  };
}

export function failedRow(mixer: string, length: number, error: string): ModelBenchRow {
  return { ...row(mixer, length, Number.NaN, 0), forwardMs: Number.NaN, tokensPerSec: Number.NaN, rssPeakBytes: 0, error };
}
