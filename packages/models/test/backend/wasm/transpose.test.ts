import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import { simplifyPermutation, transposeConfig } from '../../../src/backend/wasm/transpose.js';
import { normalArray } from '../numeric.js';
import { useBackend, valuesOn } from '../on-backends.js';

function shuffled(values: number[], random: () => number): number[] {
  const out = [...values];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('simplifyPermutation', () => {
  it('drops size-1 axes and merges axes that stay together', () => {
    expect(simplifyPermutation([8, 1024, 3, 4, 16], [2, 0, 3, 1, 4])).toEqual({ shape: [8, 1024, 3, 4, 16], perm: [2, 0, 3, 1, 4] });
    expect(simplifyPermutation([2, 3, 4, 5], [2, 3, 0, 1])).toEqual({ shape: [6, 20], perm: [1, 0] });
    expect(simplifyPermutation([2, 1, 3, 4], [0, 3, 1, 2])).toEqual({ shape: [2, 3, 4], perm: [0, 2, 1] });
    expect(simplifyPermutation([2, 3, 4], [0, 1, 2])).toEqual({ shape: [24], perm: [0] });
    expect(simplifyPermutation([1, 1], [1, 0])).toEqual({ shape: [], perm: [] });
  });
});

describe('Transpose on wasm', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('is the project kernel once registered', () => {
    expect(tf.getKernel(tf.Transpose, 'wasm').kernelFunc).toBe(transposeConfig.kernelFunc);
  });

  it('matches cpu on random shapes and permutations of rank 1 to 6', async () => {
    const random = seedrandom('transpose');
    for (let trial = 0; trial < 40; trial++) {
      const rank = 1 + (trial % 6);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(random() * 5));
      const perm = shuffled(shape.map((_, i) => i), random);
      const values = normalArray(`x${trial}`, shape.reduce((a, b) => a * b, 1));
      const [expected] = await valuesOn('cpu', () => tf.transpose(tf.tensor(values, shape), perm));
      const [actual] = await valuesOn('wasm', () => tf.transpose(tf.tensor(values, shape), perm));
      expect(Array.from(actual), `[${shape}] perm [${perm}]`).toEqual(Array.from(expected));
    }
  });

  it('moves large blocks exactly: matrices past the tile size, and attention heads', async () => {
    const cases: Array<[number[], number[]]> = [[[3, 37, 70], [0, 2, 1]], [[2, 19, 3, 2, 16], [2, 0, 3, 1, 4]], [[2, 4, 70, 8], [0, 2, 1, 3]]];
    for (const [shape, perm] of cases) {
      const values = normalArray('big', shape.reduce((a, b) => a * b, 1));
      const [expected] = await valuesOn('cpu', () => tf.transpose(tf.tensor(values, shape), perm));
      const [actual] = await valuesOn('wasm', () => tf.transpose(tf.tensor(values, shape), perm));
      expect(Array.from(actual)).toEqual(Array.from(expected));
    }
  });

  it('moves int32 and bool tensors, and empty ones', async () => {
    await useBackend('wasm');
    const ints = tf.tensor3d([1, 2, 3, 4, 5, 6, -7, 8, 2 ** 30, 10, 11, 12], [2, 3, 2], 'int32');
    expect(tf.transpose(ints, [2, 0, 1]).arraySync()).toEqual([[[1, 3, 5], [-7, 2 ** 30, 11]], [[2, 4, 6], [8, 10, 12]]]);
    const flags = tf.tensor2d([true, false, false, true, true, false], [2, 3], 'bool');
    expect(tf.transpose(flags).arraySync()).toEqual([[1, 1], [0, 1], [0, 0]]);
    expect(tf.transpose(tf.zeros([2, 0, 3]), [2, 1, 0]).shape).toEqual([3, 0, 2]);
  });

  it('shares the data where the permutation keeps every element in place, and frees it once both are gone', async () => {
    await useBackend('wasm');
    const before = tf.memory();
    const x = tf.tensor3d([1, 2, 3, 4, 5, 6], [1, 2, 3]);
    const same = tf.transpose(x, [0, 1, 2]);
    const moved = tf.transpose(x, [1, 0, 2]); // a size-1 axis moved: still the same order
    expect(moved.shape).toEqual([2, 1, 3]);
    x.dispose();
    expect(Array.from(same.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(moved.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers + 1); // one buffer for both
    tf.dispose([same, moved]);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
  });
});
