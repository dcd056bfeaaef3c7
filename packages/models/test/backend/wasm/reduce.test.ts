import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import { meanConfig, reductionBlocks, sumConfig } from '../../../src/backend/wasm/reduce.js';
import { expectClose, normalArray } from '../numeric.js';
import { useBackend, valuesOn } from '../on-backends.js';

describe('reductionBlocks', () => {
  it('sees leading, trailing and middle reductions as [outer, reduced, inner], ignoring size-1 axes', () => {
    expect(reductionBlocks([8, 4096, 64], [0, 1])).toEqual({ outer: 1, reduced: 8 * 4096, inner: 64 });
    expect(reductionBlocks([8, 4096, 64], [2])).toEqual({ outer: 8 * 4096, reduced: 64, inner: 1 });
    expect(reductionBlocks([2, 3, 4, 5], [1, 2])).toEqual({ outer: 2, reduced: 12, inner: 5 });
    expect(reductionBlocks([2, 3, 4], [0, 2])).toEqual(null);
    expect(reductionBlocks([2, 1, 3], [0, 2])).toEqual({ outer: 1, reduced: 6, inner: 1 });
    expect(reductionBlocks([2, 1, 3], [0, 1])).toEqual({ outer: 1, reduced: 2, inner: 3 });
    expect(reductionBlocks([2, 3], [])).toEqual({ outer: 6, reduced: 1, inner: 1 });
  });
});

describe('Sum and Mean on wasm', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('are the project kernels once registered', () => {
    expect(tf.getKernel(tf.Sum, 'wasm').kernelFunc).toBe(sumConfig.kernelFunc);
    expect(tf.getKernel(tf.Mean, 'wasm').kernelFunc).toBe(meanConfig.kernelFunc);
  });

  it('match cpu over random shapes and axis sets, with and without keepDims', async () => {
    const random = seedrandom('reduce');
    for (let trial = 0; trial < 40; trial++) {
      const rank = 1 + (trial % 4);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(random() * 6));
      const axes = shape.map((_, d) => d).filter(() => random() < 0.5);
      const keepDims = random() < 0.5;
      const values = normalArray(`r${trial}`, shape.reduce((a, b) => a * b, 1));
      for (const op of [tf.sum, tf.mean]) {
        const compute = () => op(tf.tensor(values, shape), axes.length > 0 ? axes : undefined, keepDims);
        const [expected] = await valuesOn('cpu', compute);
        const [actual] = await valuesOn('wasm', compute);
        const label = `${op === tf.sum ? 'sum' : 'mean'} [${shape}] axes [${axes}] keepDims ${keepDims}`;
        const shapes = await Promise.all((['cpu', 'wasm'] as const).map(async (b) => {
          await useBackend(b);
          return tf.tidy(() => compute().shape);
        }));
        expect(shapes[1], label).toEqual(shapes[0]);
        expectClose(actual!, expected!, 1e-6, label);
      }
    }
  });

  it('reduce a bias gradient\'s shape ([B, N, D] over B and N) and rows of the last axis', async () => {
    const values = normalArray('big', 4 * 300 * 37);
    for (const axes of [[0, 1], [2], [1]]) {
      const compute = () => [tf.sum(tf.tensor(values, [4, 300, 37]), axes), tf.mean(tf.tensor(values, [4, 300, 37]), axes, true)];
      const expected = await valuesOn('cpu', compute);
      const actual = await valuesOn('wasm', compute);
      expectClose(actual[0]!, expected[0]!, 1e-5, `sum axes ${axes}`);
      expectClose(actual[1]!, expected[1]!, 1e-5, `mean axes ${axes}`);
    }
  });

  it('hand int32 and bool tensors and non-adjacent axes to the backend\'s own kernels', async () => {
    await useBackend('wasm');
    const ints = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2], 'int32');
    expect(tf.sum(ints, [0, 2]).dtype).toBe('int32');
    expect(tf.sum(ints, [0, 2]).arraySync()).toEqual([1 + 2 + 5 + 6, 3 + 4 + 7 + 8]);
    expect(tf.sum(tf.tensor1d([true, true, false], 'bool')).arraySync()).toBe(2);
    const values = normalArray('gap', 3 * 4 * 5);
    const [expected] = await valuesOn('cpu', () => tf.mean(tf.tensor(values, [3, 4, 5]), [0, 2]));
    const [actual] = await valuesOn('wasm', () => tf.mean(tf.tensor(values, [3, 4, 5]), [0, 2]));
    expectClose(actual!, expected!, 1e-6, 'mean over axes 0 and 2');
  });

  it('give the same gradients as cpu', async () => {
    const values = normalArray('grad', 3 * 5 * 7);
    const weights = normalArray('w', 7);
    const compute = () => tf.grad((x: tf.Tensor) =>
      tf.sum(tf.mul(tf.add(tf.sum(x, [0, 1]), tf.mean(x, [0, 1])), tf.tensor(weights))))(tf.tensor(values, [3, 5, 7]));
    const [expected] = await valuesOn('cpu', compute);
    const [actual] = await valuesOn('wasm', compute);
    expectClose(actual!, expected!, 1e-6, 'gradient');
  });
});
