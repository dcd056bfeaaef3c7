import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatherV2Config } from '../../../src/backend/wasm/gather.js';
import { normalArray } from '../numeric.js';
import { useBackend, valuesOn } from '../on-backends.js';

describe('GatherV2 on wasm', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('is the project kernel once registered', () => {
    expect(tf.getKernel(tf.GatherV2, 'wasm').kernelFunc).toBe(gatherV2Config.kernelFunc);
  });

  it('matches cpu along every axis, with repeated indices and indices of rank 2', async () => {
    const shape = [5, 7, 3];
    const values = normalArray('table', 105);
    for (let axis = 0; axis < 3; axis++) {
      const indices = [[0, shape[axis]! - 1, 1], [1, 1, 0]];
      const compute = () => tf.gather(tf.tensor(values, shape), tf.tensor2d(indices, [2, 3], 'int32'), axis);
      const [expected] = await valuesOn('cpu', compute);
      const [actual] = await valuesOn('wasm', compute);
      expect(Array.from(actual!), `axis ${axis}`).toEqual(Array.from(expected!));
    }
  });

  it('looks up an embedding with int32 tables too, and its gradient matches cpu', async () => {
    await useBackend('wasm');
    const table = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32');
    expect(tf.gather(table, tf.tensor1d([2, 0, 2], 'int32')).arraySync()).toEqual([[5, 6], [1, 2], [5, 6]]);
    const values = normalArray('embed', 10 * 4);
    const ids = [[3, 1, 3, 9], [0, 0, 2, 3]];
    const compute = () => tf.grad((t: tf.Tensor) =>
      tf.sum(tf.square(tf.gather(t, tf.tensor2d(ids, [2, 4], 'int32')))))(tf.tensor(values, [10, 4]));
    const [expected] = await valuesOn('cpu', compute);
    const [actual] = await valuesOn('wasm', compute);
    expect(Array.from(actual!)).toEqual(Array.from(expected!));
  });

  it('rejects indices out of range as tfjs does, leaking nothing', async () => {
    await useBackend('wasm');
    const table = tf.ones([3, 2]);
    const before = tf.memory().numTensors;
    expect(() => tf.gather(table, tf.tensor1d([0, 3], 'int32'))).toThrow(/index value 3 is not in \[0, 2\]/);
    expect(tf.memory().numTensors).toBe(before + 1);
  });

  it('hands batched gathers to the backend\'s own kernel', async () => {
    const values = normalArray('batched', 2 * 4 * 3);
    const compute = () => tf.gather(tf.tensor(values, [2, 4, 3]), tf.tensor2d([[3, 0], [1, 1]], [2, 2], 'int32'), 1, 1);
    const [expected] = await valuesOn('cpu', compute);
    const [actual] = await valuesOn('wasm', compute);
    expect(Array.from(actual!)).toEqual(Array.from(expected!));
  });
});
