// A batch of products C_s = op(A_s) B_s on the SIMD kernels of ../simd/gemm.wat, described by
// numbers only, so that a heap worker can run any slice of it. Without tfjs: the heap pool's
// worker threads load this file.
import type { GemmSimd } from '../simd/simd-kernels.js';

/** Byte offsets and sizes of a batch of products; C's matrices are consecutive. */
export interface ProductBatch {
  aAt: number;
  bAt: number;
  cAt: number;
  /** C_s is [m, n]; the inner dimension is k. m a multiple of 4, n of 8. */
  m: number;
  k: number;
  n: number;
  batch: number;
  /** Bytes from one matrix of A (or B) to the next: 0 where one matrix serves the whole batch. */
  aStride: number;
  bStride: number;
  /** A_s is stored [k, m] (C_s = A_s^T B_s); else [m, k]. B_s is always stored [k, n]. */
  transposeA: boolean;
}

/**
 * The units a batch splits into: tiles of 4 rows of each product (C = A B), or of 8 columns
 * (C = A^T B, whose kernel walks A's rows as stored).
 */
export function productUnits(batch: number, m: number, n: number, transposeA: boolean): number {
  return batch * (transposeA ? n / 8 : m / 4);
}

/** Computes units [first, last) of the batch: each element of C whole, summed over k in order. */
export function runProductSlice(simd: GemmSimd, p: ProductBatch, [first, last]: readonly [number, number]): void {
  const perMatrix = p.transposeA ? p.n / 8 : p.m / 4;
  const tile = p.transposeA ? 8 : 4;
  for (let unit = first; unit < last;) {
    const s = Math.floor(unit / perMatrix);
    const end = Math.min(last, (s + 1) * perMatrix);
    const [from, to] = [(unit - s * perMatrix) * tile, (end - s * perMatrix) * tile];
    const [a, b, c] = [p.aAt + s * p.aStride, p.bAt + s * p.bStride, p.cAt + 4 * s * p.m * p.n];
    if (p.transposeA) simd.gemmTN(a, b, c, p.k, p.m, p.n, from, to, 0);
    else simd.gemmNN(a, b, c, p.m, p.k, p.n, from, to, 0);
    unit = end;
  }
}
