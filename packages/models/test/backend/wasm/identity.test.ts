import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { identityConfig } from '../../../src/backend/wasm/identity.js';
import { useBackend } from '../on-backends.js';

describe('Identity on wasm', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('is the project kernel once registered', () => {
    expect(tf.getKernel(tf.Identity, 'wasm').kernelFunc).toBe(identityConfig.kernelFunc);
  });

  it('clones without copying, and the clone outlives its source', () => {
    const buffers = tf.backend().numDataIds();
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const y = tf.clone(x);
    // One buffer on the heap for the two tensors.
    expect(tf.backend().numDataIds()).toBe(buffers + 1);
    x.dispose();
    expect(y.arraySync()).toEqual([[1, 2], [3, 4]]);
    y.dispose();
    expect(tf.backend().numDataIds()).toBe(buffers);
  });

  it('leaves a variable\'s earlier clones unchanged when it is assigned', () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const saved = tf.clone(v);
    v.assign(tf.tensor1d([7, 8, 9]));
    expect(Array.from(saved.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(v.dataSync())).toEqual([7, 8, 9]);
    tf.dispose([v, saved]);
  });
});
