import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, normalArray } from '../numeric.js';
import { useBackend, valuesOn } from '../on-backends.js';

describe('UnsortedSegmentSum on wasm', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('matches cpu on random rows', async () => {
    const ids = [3, 0, 3, 1, 4, 0, 3, 2, 1, 1];
    const sum = () => tf.unsortedSegmentSum(tf.tensor(normalArray('x', 10 * 6), [10, 2, 3]), tf.tensor1d(ids, 'int32'), 6);
    const [expected] = await valuesOn('cpu', sum);
    const [actual] = await valuesOn('wasm', sum);
    expectClose(actual, expected, 1e-6);
  });

  it('sums int32 values exactly and drops ids outside [0, numSegments)', async () => {
    const [actual] = await valuesOn('wasm', () => tf.unsortedSegmentSum(
      tf.tensor2d([[1, 2], [10, 20], [100, 200], [1000, 2000]], [4, 2], 'int32'),
      tf.tensor1d([1, -1, 1, 3], 'int32'),
      3,
    ));
    expect(Array.from(actual)).toEqual([0, 0, 101, 202, 0, 0]);
  });

  it('takes segment ids of any rank, summing over all of their positions (TensorFlow semantics)', async () => {
    const x = normalArray('x', 2 * 3 * 4);
    const ids = [2, 0, 2, 1, 2, 0];
    const expected = new Float32Array(3 * 4);
    ids.forEach((segment, i) => {
      for (let j = 0; j < 4; j++) expected[segment * 4 + j] += x[i * 4 + j];
    });
    // The op's typing says rank 1; the kernel follows TensorFlow, which takes any rank.
    const [actual] = await valuesOn('wasm', () => tf.unsortedSegmentSum(
      tf.tensor3d(x, [2, 3, 4]), tf.tensor2d(ids, [2, 3], 'int32') as tf.Tensor as tf.Tensor1D, 3,
    ));
    expectClose(actual, expected, 1e-6);
  });

  it('makes the gradient of gather (an embedding lookup) match cpu', async () => {
    const gradient = () => tf.grad((table: tf.Tensor) => tf.gather(table, tf.tensor2d([[1, 4, 4], [0, 1, 7]], [2, 3], 'int32'))
      .mul(tf.tensor(normalArray('w', 2 * 3 * 5), [2, 3, 5])).sum())(tf.tensor(normalArray('table', 8 * 5), [8, 5]));
    const [expected] = await valuesOn('cpu', gradient);
    const [actual] = await valuesOn('wasm', gradient);
    expectClose(actual, expected, 1e-6);
  });
});
