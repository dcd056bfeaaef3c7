import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { dropout } from '../../src/nn/dropout.js';

function seeds(ctx: { nextSeed(): number }, count: number): number[] {
  return Array.from({ length: count }, () => ctx.nextSeed());
}

describe('forward contexts', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('hands out reproducible seeds per (run seed, step), never 0', () => {
    const first = seeds(trainingContext(42, 3), 1000);
    expect(seeds(trainingContext(42, 3), 1000)).toEqual(first);
    expect(seeds(trainingContext(42, 4), 1000)).not.toEqual(first);
    expect(seeds(trainingContext(43, 3), 1000)).not.toEqual(first);
    expect(new Set(first).size).toBe(1000);
    for (const s of first) {
      expect(Number.isInteger(s)).toBe(true);
      expect(s).toBeGreaterThanOrEqual(1);
      expect(s).toBeLessThan(2 ** 31);
    }
    expect(trainingContext(1, 0).training).toBe(true);
    expect(inferenceContext().training).toBe(false);
    expect(() => trainingContext(1.5, 0)).toThrow('integer seed');
  });
});

describe('dropout', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  const x = (): tf.Tensor2D => tf.ones([64, 64]);

  it('draws the same mask from the same step and a different one at the next step', () => {
    const a = dropout(x(), 0.5, trainingContext(7, 10)).dataSync();
    const b = dropout(x(), 0.5, trainingContext(7, 10)).dataSync();
    const c = dropout(x(), 0.5, trainingContext(7, 11)).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).not.toEqual(Array.from(a));
  });

  it('draws different masks for successive layers of one step', () => {
    const ctx = trainingContext(7, 10);
    const first = dropout(x(), 0.5, ctx).dataSync();
    const second = dropout(x(), 0.5, ctx).dataSync();
    expect(Array.from(second)).not.toEqual(Array.from(first));
  });

  it('zeros a fraction `rate` and scales the rest so the mean is kept', () => {
    const rate = 0.3;
    const input = tf.randomUniform([200, 500], 0.5, 1.5, 'float32', 3);
    const out = dropout(input, rate, trainingContext(1, 1));
    const values = out.dataSync();
    const inputs = input.dataSync();
    let zeros = 0;
    let worstKept = 0;
    for (let i = 0; i < values.length; i++) {
      if (values[i] === 0) zeros++;
      else worstKept = Math.max(worstKept, Math.abs(values[i]! - inputs[i]! / (1 - rate)));
    }
    expect(worstKept).toBeLessThan(1e-6);
    expect(zeros / values.length).toBeCloseTo(rate, 2);
    expect(tf.mean(out).dataSync()[0]).toBeCloseTo(tf.mean(input).dataSync()[0]!, 2);
  });

  it('is the identity at inference and at rate 0', () => {
    const input = tf.randomNormal([8, 8], 0, 1, 'float32', 5);
    expect(dropout(input, 0.5, inferenceContext())).toBe(input);
    expect(dropout(input, 0, trainingContext(1, 1))).toBe(input);
    expect(() => dropout(input, 1, trainingContext(1, 1))).toThrow('dropout rate must be in [0, 1)');
  });

  it('passes gradients only through kept elements, scaled', () => {
    const input = tf.ones([16, 16]);
    const mask = dropout(input, 0.25, trainingContext(2, 2)).dataSync();
    const grad = tf.grad((t: tf.Tensor) => tf.sum(dropout(t, 0.25, trainingContext(2, 2))))(input).dataSync();
    expect(Array.from(grad)).toEqual(Array.from(mask));
  });
});
