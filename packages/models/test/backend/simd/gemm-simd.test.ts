// The SIMD products of src/backend/simd/gemm.wat behind wasm's BatchMatMul: C = A^T B and C = A B
// against float64 sums, K across several blocks of 256 and a partial one; then batches of them
// (one operand shared or one matrix per product) sliced over threads, bit for bit.
import { describe, expect, it } from 'vitest';
import { TASK, runPart } from '../../../src/backend/parallel/tasks.js';
import { gemmSimdFor, simdFailure, type GemmSimd } from '../../../src/backend/simd/simd-kernels.js';
import { heapOf } from './memory.js';

function fill(a: Float32Array, f: (i: number) => number): void {
  for (let i = 0; i < a.length; i++) a[i] = f(i);
}

/** Each C[i, j] within k x 6e-8 of the float64 sum's magnitude (float32 sums in order over k). */
function expectProduct(c: Float32Array, m: number, n: number, k: number, aAt: (i: number, r: number) => number, bAt: (r: number, j: number) => number): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      let size = 0;
      for (let r = 0; r < k; r++) {
        sum += aAt(i, r) * bAt(r, j);
        size += Math.abs(aAt(i, r) * bAt(r, j));
      }
      expect(Math.abs(c[i * n + j]! - sum), `C[${i}, ${j}]`).toBeLessThanOrEqual(k * 6e-8 * size + 1e-7);
    }
  }
}

function gemmOver(memory: object): GemmSimd {
  const simd = gemmSimdFor(memory);
  expect(simd, simdFailure()).not.toBeNull();
  return simd!;
}

describe('the SIMD products', () => {
  for (const [k, m, n] of [[1, 4, 8], [300, 8, 16], [1100, 12, 40]] as const) {
    it(`compute [${k}, ${m}]^T [${k}, ${n}] and [${m}, ${k}] [${k}, ${n}] as float64 sums do`, () => {
      const { memory, arrays } = heapOf(true, [k * m, k * n, m * n]);
      const [a, b, c] = arrays as [Float32Array, Float32Array, Float32Array];
      fill(a, (i) => Math.sin(i * 0.37));
      fill(b, (i) => Math.cos(i * 0.11) - 0.2);
      const simd = gemmOver(memory);
      c.fill(Number.NaN);
      simd.gemmTN(a.byteOffset, b.byteOffset, c.byteOffset, k, m, n, 0, n, 0);
      expectProduct(c, m, n, k, (i, r) => a[r * m + i]!, (r, j) => b[r * n + j]!);
      c.fill(Number.NaN);
      simd.gemmNN(a.byteOffset, b.byteOffset, c.byteOffset, m, k, n, 0, m, 0);
      expectProduct(c, m, n, k, (i, r) => a[i * k + r]!, (r, j) => b[r * n + j]!);
    });
  }

  it('with accumulate 1 they add the product to what C holds (K over several 256-blocks)', () => {
    const [k, m, n] = [600, 8, 16];
    const { memory, arrays } = heapOf(true, [k * m, k * n, m * n]);
    const [a, b, c] = arrays as [Float32Array, Float32Array, Float32Array];
    fill(a, (i) => Math.sin(i * 0.29));
    fill(b, (i) => Math.cos(i * 0.13));
    const simd = gemmOver(memory);
    const start = Float32Array.from({ length: m * n }, (_, i) => (i % 9) - 4);
    const written = new Float32Array(m * n);
    for (const tn of [true, false]) {
      if (tn) simd.gemmTN(a.byteOffset, b.byteOffset, c.byteOffset, k, m, n, 0, n, 0);
      else simd.gemmNN(a.byteOffset, b.byteOffset, c.byteOffset, m, k, n, 0, m, 0);
      written.set(c);
      c.set(start);
      if (tn) simd.gemmTN(a.byteOffset, b.byteOffset, c.byteOffset, k, m, n, 0, n, 1);
      else simd.gemmNN(a.byteOffset, b.byteOffset, c.byteOffset, m, k, n, 0, m, 1);
      // The start joins the first block's sums: within float32 rounding of start + product.
      for (let i = 0; i < m * n; i++) expect(c[i]!, `${tn ? 'TN' : 'NN'} element ${i}`).toBeCloseTo(start[i]! + written[i]!, 3);
    }
  });

  it('gemmNN writes only the rows asked for, and gemmTN only the columns', () => {
    const [k, m, n] = [5, 12, 24];
    const { memory, arrays } = heapOf(true, [k * m, k * n, m * n]);
    const [a, b, c] = arrays as [Float32Array, Float32Array, Float32Array];
    fill(a, (i) => (i % 7) - 3);
    fill(b, (i) => (i % 5) - 2);
    const simd = gemmOver(memory);
    c.fill(Number.NaN);
    simd.gemmNN(a.byteOffset, b.byteOffset, c.byteOffset, m, k, n, 4, 8, 0);
    for (let i = 0; i < m; i++) expect(Number.isNaN(c[i * n]!), `row ${i}`).toBe(i < 4 || i >= 8);
    c.fill(Number.NaN);
    simd.gemmTN(a.byteOffset, b.byteOffset, c.byteOffset, k, m, n, 8, 16, 0);
    for (let j = 0; j < n; j++) expect(Number.isNaN(c[j]!), `column ${j}`).toBe(j < 8 || j >= 16);
  });

  const batches = [
    { name: 'one matrix per product', aShared: false, bShared: false },
    { name: 'A shared by the batch', aShared: true, bShared: false },
    { name: 'B shared by the batch', aShared: false, bShared: true },
  ];
  for (const transposeA of [false, true]) {
    for (const { name, aShared, bShared } of batches) {
      it(`splits a batch (${name}, ${transposeA ? 'A^T B' : 'A B'}) over 1-7 threads with the same bits`, () => {
        const [batch, m, k, n] = [3, 12, 260, 24];
        const { memory, arrays } = heapOf(true, [(aShared ? 1 : batch) * m * k, (bShared ? 1 : batch) * k * n, batch * m * n]);
        const [a, b, c] = arrays as [Float32Array, Float32Array, Float32Array];
        fill(a, (i) => Math.sin(i * 0.29));
        fill(b, (i) => Math.cos(i * 0.13));
        const job = (): Float64Array => Float64Array.from([
          TASK.gemm, a.byteOffset, b.byteOffset, c.byteOffset, m, k, n, batch, aShared ? 0 : 4 * m * k, bShared ? 0 : 4 * k * n, transposeA ? 1 : 0,
        ]);
        c.fill(Number.NaN);
        runPart(memory.buffer, job(), 0, 1, undefined, memory);
        for (let s = 0; s < batch; s++) {
          const [aBase, bBase] = [aShared ? 0 : s * m * k, bShared ? 0 : s * k * n];
          const product = c.subarray(s * m * n, (s + 1) * m * n);
          if (transposeA) expectProduct(product, m, n, k, (i, r) => a[aBase + r * m + i]!, (r, j) => b[bBase + r * n + j]!);
          else expectProduct(product, m, n, k, (i, r) => a[aBase + i * k + r]!, (r, j) => b[bBase + r * n + j]!);
        }
        const one = c.slice();
        for (const parts of [2, 3, 7]) {
          c.fill(Number.NaN);
          for (let part = 0; part < parts; part++) runPart(memory.buffer, job(), part, parts, undefined, memory);
          expect(c).toEqual(one);
        }
      });
    }
  }
});
