import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import { tileConfig } from '../../../src/backend/wasm/tile.js';
import { normalArray } from '../numeric.js';
import { useBackend, valuesOn } from '../on-backends.js';

describe('Tile on wasm', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('is the project kernel once registered', () => {
    expect(tf.getKernel(tf.Tile, 'wasm').kernelFunc).toBe(tileConfig.kernelFunc);
  });

  it('matches cpu on random shapes and repetitions of rank 0 to 5, the last axis tiled or not', async () => {
    const random = seedrandom('tile');
    for (let trial = 0; trial < 40; trial++) {
      const rank = trial % 6;
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(random() * 4));
      const reps = shape.map(() => 1 + Math.floor(random() * 3));
      const values = normalArray(`x${trial}`, shape.reduce((a, b) => a * b, 1));
      const [expected] = await valuesOn('cpu', () => tf.tile(tf.tensor(values, shape), reps));
      const [actual] = await valuesOn('wasm', () => tf.tile(tf.tensor(values, shape), reps));
      expect(Array.from(actual), `[${shape}] reps [${reps}]`).toEqual(Array.from(expected));
    }
  });

  it('tiles a sum\'s gradient over a sequence, int32 values, and hands bool to the backend', async () => {
    await useBackend('wasm');
    const rows = tf.tile(tf.tensor3d([1, 2, 3, 4, 5, 6], [2, 1, 3]), [1, 4, 1]);
    expect(rows.shape).toEqual([2, 4, 3]);
    expect((rows.arraySync() as number[][][])[1]![3]).toEqual([4, 5, 6]);
    const ints = tf.tile(tf.tensor2d([7, -8, 2 ** 30, 9], [2, 2], 'int32'), [2, 1]);
    expect(ints.dtype).toBe('int32');
    expect(Array.from(ints.dataSync())).toEqual([7, -8, 2 ** 30, 9, 7, -8, 2 ** 30, 9]);
    expect(tf.tile(tf.tensor1d([true, false], 'bool'), [2]).arraySync()).toEqual([1, 0, 1, 0]);
    expect(tf.tile(tf.zeros([2, 0]), [3, 2]).shape).toEqual([6, 0]);
    tf.dispose([rows, ints]);
  });
});
