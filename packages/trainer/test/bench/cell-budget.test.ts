import { describe, expect, it } from 'vitest';
import { formatDuration, planCell, WASM_HEAP_LIMIT_BYTES } from '../../src/bench/cell-budget.js';
import { mixerGrowth } from '../../src/bench/mixer-growth.js';

const GIB = 2 ** 30;

describe('planCell', () => {
  it('extrapolates the peak of a linear-memory mixer at most linearly (blocked attention past its dense lengths)', () => {
    // Dense at 1K and 2K (quadratic), blocked from there on: 1.5 GiB at 2K -> 6 GiB at 4K if quadratic.
    const history = [{ length: 1024, stepMs: 1000, peakBytes: 0.375 * GIB }, { length: 2048, stepMs: 4000, peakBytes: 1.5 * GIB }];
    const budget = { stepMs: 0, memoryBytes: WASM_HEAP_LIMIT_BYTES };
    expect(planCell(history, 4096, budget)).toMatchObject({ run: false, reason: 'predicted peak 6.0 GiB > 4.0 GiB heap' });
    const linear = planCell(history, 4096, budget, { memoryExponent: 1 });
    expect(linear.run).toBe(true);
    expect(linear.predictedPeakBytes).toBeCloseTo(3 * GIB, 3);
    // The step time keeps its own (quadratic) prediction.
    expect(linear.predictedStepMs).toBeCloseTo(16_000, 6);
    // From a single point the exponent is 1.5 unless capped.
    expect(planCell([{ length: 4096, peakBytes: GIB }], 16384, budget, { memoryExponent: 1 }).predictedPeakBytes).toBeCloseTo(4 * GIB, 3);
  });

  it('takes linear memory from the mixer spec, unless the dense implementation is asked for', () => {
    expect(mixerGrowth('attention')).toEqual({ memoryExponent: 1 });
    expect(mixerGrowth('bigbird', { implementation: 'auto' })).toEqual({ memoryExponent: 1 });
    expect(mixerGrowth('attention', { implementation: 'dense' })).toEqual({});
    expect(mixerGrowth('fnet')).toEqual({});
    expect(mixerGrowth('no-such-mixer')).toEqual({});
  });

  it('runs the first length: nothing predicts it', () => {
    expect(planCell([], 1024, { stepMs: 1 })).toEqual({ run: true, predictedStepMs: null, predictedPeakBytes: null });
  });

  it('skips a length whose predicted step exceeds the budget, and says by how much', () => {
    // N^1.5 from one point: 3 s at 1K -> 8.5 s at 2K, 15.6 s at 3K.
    const history = [{ length: 1024, stepMs: 3000, peakBytes: GIB / 4 }];
    const at2k = planCell(history, 2048, { stepMs: 12_000 });
    expect(at2k).toMatchObject({ run: true });
    expect(at2k.predictedStepMs).toBeCloseTo(3000 * 2 ** 1.5, 9);
    expect(at2k.predictedPeakBytes).toBeCloseTo((GIB / 4) * 2 ** 1.5, 3);
    const at3k = planCell(history, 3072, { stepMs: 12_000 });
    expect(at3k).toMatchObject({ run: false, reason: 'predicted step 16 s > budget 12 s' });
    expect(at3k.predictedStepMs).toBeCloseTo(3000 * 3 ** 1.5, 9);
  });

  it('has no step limit at budget 0', () => {
    expect(planCell([{ length: 1024, stepMs: 60_000 }], 16384, { stepMs: 0 }).run).toBe(true);
  });

  it('skips a length whose predicted peak exceeds the memory limit', () => {
    const history = [{ length: 1024, stepMs: 100, peakBytes: 1.5 * GIB }];
    expect(planCell(history, 2048, { stepMs: 0, memoryBytes: WASM_HEAP_LIMIT_BYTES })).toMatchObject({
      run: false,
      reason: 'predicted peak 4.2 GiB > 4.0 GiB heap',
    });
    expect(planCell(history, 2048, { stepMs: 0 }).run).toBe(true);
  });

  it('names every limit a cell would break', () => {
    const history = [{ length: 1024, stepMs: 2000, peakBytes: 1 * GIB }, { length: 2048, stepMs: 8000, peakBytes: 4 * GIB }];
    expect(planCell(history, 3072, { stepMs: 10_000, memoryBytes: WASM_HEAP_LIMIT_BYTES })).toMatchObject({
      run: false,
      reason: 'predicted step 18 s > budget 10 s; predicted peak 9.0 GiB > 4.0 GiB heap',
    });
  });

  it('skips every length above one that failed, naming the shortest failure', () => {
    const history = [
      { length: 1024, stepMs: 10 },
      { length: 2048, error: 'memory access out of bounds' },
      { length: 3072, skipped: 'failed at 2048' },
    ];
    expect(planCell(history, 4096, { stepMs: 0 })).toMatchObject({ run: false, reason: 'failed at 2048' });
    // Only shorter lengths count: a failure at 2K says nothing about 1.5K.
    expect(planCell(history, 1536, { stepMs: 0 }).run).toBe(true);
  });

  it('predicts from measured lengths only, not from skipped ones', () => {
    const history = [{ length: 1024, stepMs: 1000 }, { length: 2048, skipped: 'whatever', stepMs: 1 }];
    expect(planCell(history, 4096, { stepMs: 0 }).predictedStepMs).toBeCloseTo(8000, 9);
  });
});

describe('formatDuration', () => {
  it('prints milliseconds below a second, one decimal below 10 s, whole seconds above', () => {
    expect(formatDuration(432.4)).toBe('432 ms');
    expect(formatDuration(4000)).toBe('4.0 s');
    expect(formatDuration(46_400)).toBe('46 s');
  });
});
