// The SIMD product C = A^T B (src/backend/simd/gemm-tn.wat) behind wasm's weight gradients:
// against float64 sums, K across several blocks of 256 and a partial one, and sliced over threads
// by columns bit for bit.
import { describe, expect, it } from 'vitest';
import { TASK, runPart } from '../../../src/backend/parallel/tasks.js';
import { gemmSimdFor, simdFailure } from '../../../src/backend/simd/simd-kernels.js';
import { heapOf } from './memory.js';

describe('the SIMD A^T B', () => {
  for (const [k, m, n] of [[1, 4, 8], [300, 8, 16], [1100, 12, 40]] as const) {
    it(`computes [${k}, ${m}]^T [${k}, ${n}] as float64 sums do, and by columns over threads`, () => {
      const { memory, arrays } = heapOf(true, [k * m, k * n, m * n]);
      const [a, b, c] = arrays as [Float32Array, Float32Array, Float32Array];
      for (let i = 0; i < a.length; i++) a[i] = Math.sin(i * 0.37);
      for (let i = 0; i < b.length; i++) b[i] = Math.cos(i * 0.11) - 0.2;
      const simd = gemmSimdFor(memory);
      expect(simd, simdFailure()).not.toBeNull();
      c.fill(Number.NaN);
      simd!.gemmTN(a.byteOffset, b.byteOffset, c.byteOffset, k, m, n, 0, n);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let sum = 0;
          let size = 0;
          for (let r = 0; r < k; r++) {
            sum += a[r * m + i]! * b[r * n + j]!;
            size += Math.abs(a[r * m + i]! * b[r * n + j]!);
          }
          // float32 sums in order over k: within k x 6e-8 of the sum of magnitudes.
          expect(Math.abs(c[i * n + j]! - sum), `C[${i}, ${j}]`).toBeLessThanOrEqual(k * 6e-8 * size + 1e-7);
        }
      }
      const one = c.slice();
      for (const parts of [2, 3, 7]) {
        c.fill(Number.NaN);
        const job = Float64Array.from([TASK.gemmTN, a.byteOffset, b.byteOffset, c.byteOffset, k, m, n]);
        for (let part = 0; part < parts; part++) runPart(memory.buffer, job, part, parts, undefined, memory);
        expect(c).toEqual(one);
      }
    });
  }
});
