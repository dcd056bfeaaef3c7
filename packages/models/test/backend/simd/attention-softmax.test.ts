// The fused attention's row softmax (src/backend/simd/attention-softmax.wat) against a float64
// softmax: with and without the key bias, padded keys (-1e9) weighing exactly 0, rows whose keys
// are all padded, large scores, NaN carried through; the recomputed weights are the same bits.
import { describe, expect, it } from 'vitest';
import { attentionSoftmaxSimdFor, simdFailure, type AttentionSoftmaxSimd } from '../../../src/backend/simd/simd-kernels.js';
import { normalArray } from '../numeric.js';
import { heapOf, type Memory } from './memory.js';

function softmaxOver(memory: Memory): AttentionSoftmaxSimd {
  const simd = attentionSoftmaxSimdFor(memory);
  expect(simd, simdFailure()).not.toBeNull();
  return simd!;
}

/** Float64 softmax of each row of s + bias (bias null: none). */
function reference(s: Float32Array, bias: Float32Array | null, rows: number, n: number): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const x = Array.from({ length: n }, (_, j) => s[r * n + j]! + (bias ? bias[j]! : 0));
    const max = Math.max(...x);
    const e = x.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    for (let j = 0; j < n; j++) out[r * n + j] = e[j]! / sum;
  }
  return out;
}

describe('the attention row softmax', () => {
  for (const biased of [false, true]) {
    it(`matches a float64 softmax to float32's rounding of the scores ${biased ? 'with' : 'without'} the key bias, and recomputes the same bits`, () => {
      const [rows, n] = [6, 264];
      const { memory, arrays } = heapOf(true, [rows * n, n, 2 * rows, rows * n]);
      const [s, bias, stats, again] = arrays as [Float32Array, Float32Array, Float32Array, Float32Array];
      s.set(normalArray('attention-softmax', rows * n, 4));
      // Large scores in one row: the max is taken out before exp.
      for (let j = 0; j < n; j++) s[n + j] = s[n + j]! * 20 + 300;
      for (let j = 0; j < n; j++) bias[j] = j % 7 === 3 ? -1e9 : 0;
      const scores = s.slice();
      const want = reference(scores, biased ? bias : null, rows, n);
      const simd = softmaxOver(memory);
      simd.softmaxRows(s.byteOffset, bias.byteOffset, stats.byteOffset, rows, n, biased ? 1 : 0);
      // x - max rounds to float32 (6e-8 of |x| + |max|, up to 40 here): that much relative error
      // in a weight, plus the exponential's own 1e-7.
      for (let i = 0; i < rows * n; i++) {
        const r = Math.floor(i / n);
        const spread = Math.abs(scores[i]!) + Math.max(...Array.from(scores.subarray(r * n, (r + 1) * n), Math.abs));
        expect(Math.abs(s[i]! - want[i]!), `element ${i}`).toBeLessThanOrEqual((1.2e-7 * spread + 2e-7) * want[i]! + 1e-30);
      }
      if (biased) for (let i = 0; i < rows * n; i++) if (i % n % 7 === 3) expect(s[i], `padded key ${i}`).toBe(0);
      for (let r = 0; r < rows; r++) {
        let sum = 0;
        for (let j = 0; j < n; j++) sum += s[r * n + j]!;
        expect(Math.abs(sum - 1), `row ${r} sums to 1`).toBeLessThan(1e-5);
      }
      again.set(scores);
      simd.softmaxRecompute(again.byteOffset, bias.byteOffset, stats.byteOffset, rows, n, biased ? 1 : 0);
      expect(again).toEqual(s);
    });
  }

  it('gives a row whose keys are all padded uniform weights, as the dense path does', () => {
    const n = 16;
    const { memory, arrays } = heapOf(true, [n, n, 2]);
    const [s, bias, stats] = arrays as [Float32Array, Float32Array, Float32Array];
    s.set(normalArray('all padded', n, 0.01));
    bias.fill(-1e9);
    softmaxOver(memory).softmaxRows(s.byteOffset, bias.byteOffset, stats.byteOffset, 1, n, 1);
    // -1e9 swallows the scores in float32: every key weighs 1/16.
    for (let j = 0; j < n; j++) expect(s[j]).toBeCloseTo(1 / n, 7);
  });

  it('carries a NaN score into the whole row, never into zeros', () => {
    const n = 8;
    const { memory, arrays } = heapOf(true, [n, n, 2]);
    const [s, bias, stats] = arrays as [Float32Array, Float32Array, Float32Array];
    s.set([0.5, 1, Number.NaN, 2, 0, -1, 3, 0.25]);
    softmaxOver(memory).softmaxRows(s.byteOffset, bias.byteOffset, stats.byteOffset, 1, n, 0);
    for (let j = 0; j < n; j++) expect(Number.isNaN(s[j]!), `key ${j}`).toBe(true);
  });
});
