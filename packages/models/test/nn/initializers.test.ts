import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import {
  constant,
  fans,
  lecunNormal,
  normal,
  ones,
  truncatedNormal,
  uniform,
  xavierUniform,
  zeros,
} from '../../src/nn/initializers.js';

function stats(values: Float32Array): { mean: number; std: number; min: number; max: number } {
  let sum = 0;
  let sq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    sq += v * v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = sum / values.length;
  return { mean, std: Math.sqrt(sq / values.length - mean * mean), min, max };
}

const random = (): (() => number) => seedrandom.alea('initializers');

describe('initialisers', () => {
  it('computes fans as jax does', () => {
    expect(fans([3, 5])).toEqual({ fanIn: 3, fanOut: 5 });
    expect(fans([2, 3, 5])).toEqual({ fanIn: 6, fanOut: 10 });
    expect(fans([7])).toEqual({ fanIn: 7, fanOut: 7 });
  });

  it('fills constants', () => {
    expect(Array.from(zeros().sample([2, 2], random()))).toEqual([0, 0, 0, 0]);
    expect(Array.from(ones().sample([3], random()))).toEqual([1, 1, 1]);
    expect(Array.from(constant(-0.5).sample([2], random()))).toEqual([-0.5, -0.5]);
  });

  it('draws normal(std) with the right moments', () => {
    const values = normal(0.02).sample([200, 500], random());
    const s = stats(values);
    // Bounds of about five standard errors for 100,000 draws.
    expect(Math.abs(s.mean)).toBeLessThan(3e-4);
    expect(Math.abs(s.std / 0.02 - 1)).toBeLessThan(0.012);
    const withinOneStd = values.filter((v) => Math.abs(v) < 0.02).length / values.length;
    expect(withinOneStd).toBeCloseTo(0.6827, 2);
  });

  it('truncates at two standard deviations, with the truncated variance', () => {
    const values = truncatedNormal(1.5).sample([100_000], random());
    const s = stats(values);
    expect(s.max).toBeLessThanOrEqual(3);
    expect(s.min).toBeGreaterThanOrEqual(-3);
    expect(s.max).toBeGreaterThan(2.9);
    // Standard deviation of N(0,1) truncated to [-2, 2] is 0.879626.
    expect(s.std).toBeCloseTo(1.5 * 0.879626, 2);
  });

  it('draws uniform(a, b) inside its bounds', () => {
    const s = stats(uniform(-3, 1).sample([100_000], random()));
    expect(s.min).toBeGreaterThanOrEqual(-3);
    expect(s.max).toBeLessThan(1);
    expect(s.mean).toBeCloseTo(-1, 1);
    expect(s.std).toBeCloseTo(4 / Math.sqrt(12), 2);
  });

  it('bounds xavierUniform by sqrt(6 / (fanIn + fanOut))', () => {
    const limit = Math.sqrt(6 / (300 + 500));
    const s = stats(xavierUniform().sample([300, 500], random()));
    expect(s.max).toBeLessThanOrEqual(limit);
    expect(s.max).toBeGreaterThan(limit * 0.999);
    expect(s.min).toBeGreaterThanOrEqual(-limit);
    expect(s.std).toBeCloseTo(limit / Math.sqrt(3), 3);
  });

  it('gives lecunNormal a variance of 1 / fanIn after truncation', () => {
    const values = lecunNormal().sample([400, 300], random());
    const s = stats(values);
    expect(s.std).toBeCloseTo(Math.sqrt(1 / 400), 3);
    expect(s.max).toBeLessThanOrEqual((2 * Math.sqrt(1 / 400)) / 0.87962566103423978 + 1e-7);
  });
});
