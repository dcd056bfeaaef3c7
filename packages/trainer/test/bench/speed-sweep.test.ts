import { describe, expect, it } from 'vitest';
import { WASM_HEAP_LIMIT_BYTES } from '../../src/bench/cell-budget.js';
import type { BenchRepeats } from '../../src/bench/model-bench.js';
import { countsFor, measureSpeedSweep, sweepOrder } from '../../src/bench/speed-sweep.js';
import { failedRow, row } from './fixtures.js';

// Synthetic mixers: step ms and peak bytes as functions of the length.
const COSTS: Record<string, (n: number) => { stepMs: number; peakBytes: number } | 'oom'> = {
  attention: (n) => ({ stepMs: 3 * (n / 1024) ** 2 * 1000, peakBytes: 1.7 * 2 ** 30 * (n / 1024) ** 2 }),
  fnet: (n) => ({ stepMs: 400 * (n / 1024), peakBytes: 200e6 * (n / 1024) }),
  performer: (n) => (n >= 4096 ? 'oom' : { stepMs: 2000 * (n / 1024), peakBytes: 1e9 * (n / 1024) }),
};

function fakeRunner(calls: Array<{ mixer: string; length: number; counts: BenchRepeats }>) {
  return async (mixer: string, length: number, counts: BenchRepeats) => {
    calls.push({ mixer, length, counts });
    const cost = COSTS[mixer]!(length);
    return cost === 'oom' ? failedRow(mixer, length, 'Aborted()') : row(mixer, length, cost.stepMs, cost.peakBytes, counts);
  };
}

const counts = { warmup: 1, repeats: 3 };
const longCounts = { warmup: 1, repeats: 2 };

describe('the speed sweep', () => {
  it('measures the baseline first, adds it when missing, and never measures a mixer twice', () => {
    expect(sweepOrder(['fnet', 'attention', 'fnet', 'gfnet'], 'attention')).toEqual(['attention', 'fnet', 'gfnet']);
    expect(sweepOrder(['fnet'], 'attention')).toEqual(['attention', 'fnet']);
  });

  it('gives long cells the long counts', () => {
    const opts = { counts, longCounts, longStepMs: 4000 };
    expect(countsFor(null, opts)).toBe(counts);
    expect(countsFor(4000, opts)).toBe(counts);
    expect(countsFor(4001, opts)).toBe(longCounts);
  });

  it('skips what the budget rules out without running it, and stops a mixer at its first failure', async () => {
    const calls: Array<{ mixer: string; length: number; counts: BenchRepeats }> = [];
    const rows = await measureSpeedSweep(
      {
        mixers: ['fnet', 'performer'],
        lengths: [16384, 1024, 2048, 4096, 8192],
        baseline: 'attention',
        counts,
        longCounts,
        longStepMs: 4000,
        budget: { stepMs: 20_000, memoryBytes: WASM_HEAP_LIMIT_BYTES },
      },
      fakeRunner(calls),
    );
    const ran = calls.map((c) => `${c.mixer}@${c.length}`);
    // attention: 1K runs; 2K is predicted at 4.8 GiB (> heap): skipped; longer ones predict the same way.
    // fnet: every length. performer: fails at 4K, 8K and 16K skipped.
    expect(ran).toEqual([
      'attention@1024',
      'fnet@1024', 'fnet@2048', 'fnet@4096', 'fnet@8192', 'fnet@16384',
      'performer@1024', 'performer@2048', 'performer@4096',
    ]);
    expect(rows.map((r) => `${r.mixer}@${r.length}`)).toEqual([
      'attention@1024', 'attention@2048', 'attention@4096', 'attention@8192', 'attention@16384',
      'fnet@1024', 'fnet@2048', 'fnet@4096', 'fnet@8192', 'fnet@16384',
      'performer@1024', 'performer@2048', 'performer@4096', 'performer@8192', 'performer@16384',
    ]);
    const byCell = new Map(rows.map((r) => [`${r.mixer}@${r.length}`, r]));
    expect(byCell.get('attention@2048')!.skipped).toBe('predicted peak 4.8 GiB > 4.0 GiB heap');
    expect(byCell.get('performer@4096')!.error).toBe('Aborted()');
    expect(byCell.get('performer@8192')!.skipped).toBe('failed at 4096');
    expect(Number.isNaN(byCell.get('performer@8192')!.stepMs)).toBe(true);
    // fnet at 16K is predicted at 6.4 s (linear from 4K and 8K): above 4 s, so the long counts.
    expect(calls.find((c) => c.mixer === 'fnet' && c.length === 16384)!.counts).toBe(longCounts);
    expect(calls.find((c) => c.mixer === 'fnet' && c.length === 8192)!.counts).toBe(counts);
  });

  it('skips by the time budget', async () => {
    const calls: Array<{ mixer: string; length: number; counts: BenchRepeats }> = [];
    const rows = await measureSpeedSweep(
      { mixers: [], lengths: [1024, 2048, 3072], baseline: 'attention', counts, longCounts, longStepMs: 4000, budget: { stepMs: 15_000 } },
      fakeRunner(calls),
    );
    expect(calls.map((c) => c.length)).toEqual([1024, 2048]);
    expect(rows[2]!.skipped).toBe('predicted step 27 s > budget 15 s');
  });
});
