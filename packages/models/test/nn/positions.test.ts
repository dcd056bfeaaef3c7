import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sinusoidalPositions } from '../../src/nn/positions.js';
import { applyRotary, rotaryTables } from '../../src/nn/rotary.js';
import { seededUniform } from '../support/random.js';

describe('sinusoidal positions', () => {
  it('interleaves sin and cos as LRA does', () => {
    // Rows 0, 1 and 7 of numpy's LRA sinusoidal_init(max_len=8) for d = 4:
    // pe[:, 0::2] = sin(p * exp(-2i ln(10000) / d)), pe[:, 1::2] = cos(...).
    const table = sinusoidalPositions(8, 4);
    const row = (p: number): number[] => Array.from(table.subarray(p * 4, p * 4 + 4));
    expect(row(0)).toEqual([0, 1, 0, 1]);
    const expected1 = [Math.sin(1), Math.cos(1), Math.sin(0.01), Math.cos(0.01)];
    const expected7 = [Math.sin(7), Math.cos(7), Math.sin(0.07), Math.cos(0.07)];
    row(1).forEach((v, i) => expect(v).toBeCloseTo(expected1[i]!, 6));
    row(7).forEach((v, i) => expect(v).toBeCloseTo(expected7[i]!, 6));
    expect(() => sinusoidalPositions(4, 3)).toThrow('even width');
  });
});

describe('rotary positions', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('rotates interleaved pairs by m * 10000^(-2i/d)', () => {
    const d = 4;
    const length = 3;
    const x = tf.ones([1, length, 1, d]) as tf.Tensor4D;
    const out = applyRotary(x, rotaryTables(length, d)).dataSync();
    for (let m = 0; m < length; m++) {
      for (let i = 0; i < d / 2; i++) {
        const angle = m * Math.pow(10000, (-2 * i) / d);
        expect(out[m * d + 2 * i]).toBeCloseTo(Math.cos(angle) - Math.sin(angle), 5);
        expect(out[m * d + 2 * i + 1]).toBeCloseTo(Math.sin(angle) + Math.cos(angle), 5);
      }
    }
  });

  it('makes q . k depend only on the offset between positions', () => {
    const d = 8;
    const length = 40;
    const tables = rotaryTables(length, d);
    const qVec = seededUniform('rope-q', d);
    const kVec = seededUniform('rope-k', d);
    // The same q and k vector at every position, rotated per position.
    const tile = (v: Float64Array): tf.Tensor4D =>
      tf.tensor4d(Float32Array.from({ length: length * d }, (_, i) => v[i % d]!), [1, length, 1, d]);
    const q = applyRotary(tile(qVec), tables).reshape([length, d]);
    const k = applyRotary(tile(kVec), tables).reshape([length, d]);
    const scores = tf.matMul(q, k, false, true).arraySync() as number[][];
    for (const [m, n, shift] of [[5, 2, 30], [0, 9, 17], [20, 20, 13], [3, 30, 6]] as const) {
      expect(scores[m + shift]![n + shift]).toBeCloseTo(scores[m]![n]!, 4);
    }
    // And it does depend on the offset.
    expect(Math.abs(scores[5]![2]! - scores[5]![3]!)).toBeGreaterThan(1e-3);
  });
});
