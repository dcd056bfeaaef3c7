import { describe, expect, it } from 'vitest';
import { describePeakRate, learningRate } from '../../src/train/schedule.js';

describe('learningRate', () => {
  const rsqrt = { lr: 0.05, schedule: 'rsqrt' as const, warmup: 1000, steps: 5000 };
  it('rsqrt: linear warmup to 0.05/sqrt(1000), then 1/sqrt(step) decay', () => {
    expect(learningRate(0, rsqrt)).toBe(0);
    expect(learningRate(500, rsqrt)).toBeCloseTo((0.05 * 0.5) / Math.sqrt(1000), 12);
    expect(learningRate(1000, rsqrt)).toBeCloseTo(0.05 / Math.sqrt(1000), 12); // 1.58e-3, docs/lra.md's peak
    expect(learningRate(4000, rsqrt)).toBeCloseTo(0.05 / 63.245553203367585, 12);
  });
  it('cosine: warmup then a half cosine reaching 0 at the last step', () => {
    const cfg = { lr: 1e-3, schedule: 'cosine' as const, warmup: 100, steps: 1100 };
    expect(learningRate(50, cfg)).toBeCloseTo(5e-4, 12);
    expect(learningRate(100, cfg)).toBeCloseTo(1e-3, 12);
    expect(learningRate(600, cfg)).toBeCloseTo(5e-4, 12);
    expect(learningRate(1100, cfg)).toBeCloseTo(0, 12);
  });
  it('constant with and without warmup', () => {
    expect(learningRate(5, { lr: 0.1, schedule: 'constant', warmup: 10, steps: 100 })).toBeCloseTo(0.05, 12);
    expect(learningRate(0, { lr: 0.1, schedule: 'constant', warmup: 0, steps: 100 })).toBe(0.1);
  });
});

describe('describePeakRate', () => {
  it("says that rsqrt's train.lr is a factor and gives the peak it makes", () => {
    expect(describePeakRate({ lr: 0.05, schedule: 'rsqrt', warmup: 1000, steps: 5000 })).toBe(
      'learning rate: rsqrt schedule, peak 0.00158 (train.lr 0.05 / sqrt(1000)) at step 1000',
    );
    expect(describePeakRate({ lr: 1e-3, schedule: 'cosine', warmup: 100, steps: 1100 })).toBe('learning rate: cosine schedule, peak 0.00100 (train.lr 0.001) at step 100');
  });
});
