import * as tf from '@tensorflow/tfjs';
import type { BatchMatMulAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import {
  allocateFloats, asWasmBackend, byteOffsetOf, heapFloat32, heapIdOf, heapMemory, release,
} from './heap.js';
import type { WasmBackend } from './heap.js';
import { splitProducts } from '../parallel/heap-pool.js';
import { gemmSimdFor } from '../simd/simd-kernels.js';
import { multiplyBatchInOneCall, multiplyOnHeap } from './multiply-on-heap.js';
import { productUnits, runProductSlice, type ProductBatch } from './simd-product-slices.js';
import { transposeOnHeap } from './transpose-matrix.js';

// Multiply-adds per matrix below which one call of the backend's loop over the whole batch is
// faster than XNNPACK matrix by matrix (measured crossover: about 16 x 16 x 16).
const SMALL_PRODUCT = 4096;

// B stored transposed is copied into [k, n] matrices before the SIMD product: about 1.5 ns an
// element against 0.04-0.08 ns a multiply-add, so only where A has at least this many rows.
const MIN_ROWS_TO_TRANSPOSE_B = 32;

/** For each element of a batch of shape `outShape`, the flat index of the element of a batch of
 *  shape `inShape` that broadcasts to it (numpy rules, shapes aligned on the right). */
function broadcastSources(outShape: number[], inShape: number[]): Int32Array {
  const count = tf.util.sizeFromShape(outShape);
  const sources = new Int32Array(count);
  const inStrides = tf.util.computeStrides(inShape);
  const offset = outShape.length - inShape.length;
  const position = new Array<number>(outShape.length).fill(0);
  for (let flat = 0; flat < count; flat++) {
    let source = 0;
    for (let d = 0; d < inShape.length; d++) {
      if (inShape[d] !== 1) source += position[d + offset] * (d < inShape.length - 1 ? inStrides[d] : 1);
    }
    sources[flat] = source;
    for (let d = outShape.length - 1; d >= 0; d--) {
      if (++position[d] < outShape[d]) break;
      position[d] = 0;
    }
  }
  return sources;
}

/**
 * Batched matrix product on the wasm heap, with tfjs's BatchMatMul semantics (transpose flags,
 * broadcasting batch dimensions). Products whose shapes the project's SIMD kernels take (m a
 * multiple of 4, n of 8 or padded to it: every product of the LRA models) run there, split over
 * the heap's threads. The others run on XNNPACK one matrix at a time (or as one tall matrix when b is
 * shared), in the orientation that packs the smaller operand, transposed operands first copied
 * untransposed into scratch space: the backend's C++ kernel takes its naive loop for any batch or
 * transpose flag (attention's Q K^T, 16 channels per head, ran at 1.7 GFLOP/s that way). Only
 * batches of tiny matrices, where XNNPACK's per-call cost dominates, still go to that loop.
 */
export function batchMatMulOnHeap(
  backend: WasmBackend, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean,
): TensorInfo {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new Error(`BatchMatMul on wasm takes float32 tensors, got ${a.dtype} and ${b.dtype}`);
  }
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const k = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const kOfB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  if (k !== kOfB) {
    throw new Error(
      `Error in matMul: inner shapes (${k}) and (${kOfB}) of Tensors with shapes ${a.shape} and ` +
      `${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(aBatch, bBatch);
  const out = backend.makeOutput([...outBatch, m, n], 'float32');
  const outCount = tf.util.sizeFromShape(outBatch);
  if (outCount * m * n === 0) return out;
  if (k === 0) {
    const start = byteOffsetOf(backend, out) / 4;
    heapFloat32(backend).fill(0, start, start + outCount * m * n);
    return out;
  }

  const aCount = tf.util.sizeFromShape(aBatch);
  const bCount = tf.util.sizeFromShape(bBatch);
  const aOffset = byteOffsetOf(backend, a);
  const bOffset = byteOffsetOf(backend, b);
  const outOffset = byteOffsetOf(backend, out);
  if (multiplyWithSimd(backend, { aOffset, bOffset, outOffset, m, k, n, transposeA, transposeB, aCount, bCount, outCount })) return out;
  if (!transposeA && !transposeB && bCount === 1 && aCount === outCount) {
    // One weight matrix for the whole batch: stack a's matrices into one tall product.
    multiplyOnHeap(backend, aOffset, bOffset, outOffset, outCount * m, k, n);
    return out;
  }

  if (m * k * n < SMALL_PRODUCT && aCount === outCount && bCount === outCount) {
    multiplyBatchInOneCall(
      backend,
      heapIdOf(backend, a), [aCount, a.shape[aRank - 2], a.shape[aRank - 1]],
      heapIdOf(backend, b), [bCount, b.shape[bRank - 2], b.shape[bRank - 1]],
      transposeA, transposeB, heapIdOf(backend, out),
    );
    return out;
  }

  const slices: SliceProducts = {
    aOffset, bOffset, outOffset, m, k, n, transposeA, transposeB,
    aSources: broadcastSources(outBatch, aBatch),
    bSources: broadcastSources(outBatch, bBatch),
  };
  if (swappedCost(m, k, n, transposeA, transposeB) < directCost(m, k, n, transposeA, transposeB)) {
    multiplySwapped(backend, slices);
  } else {
    multiplyDirect(backend, slices);
  }
  return out;
}

/** A product's operands on the heap (byte offsets), its sizes and transpose flags. */
interface ProductOperands {
  aOffset: number;
  bOffset: number;
  outOffset: number;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
}

/** A batch of products: how many matrices each operand and the output hold. */
interface BatchProducts extends ProductOperands {
  aCount: number;
  bCount: number;
  outCount: number;
}

/**
 * The products on the project's SIMD kernels (../simd/gemm.wat), split over the heap's threads:
 * where m is a multiple of 4, and each operand holds one matrix or one per output. A stored
 * transposed is read as stored (gemmTN); B stored transposed is first copied into [k, n]
 * matrices (in attention it is the small side: the values, or the keys). Where n is not a
 * multiple of 8 (FFTNet's filter of 2049 x 4 bins, a classifier's 10 classes), B is copied
 * into columns padded with zeros and C's padded rows are copied back: O(k n + m n) against the
 * product's m k n. False (nothing done) where it does not apply; XNNPACK takes those.
 */
function multiplyWithSimd(backend: WasmBackend, p: BatchProducts): boolean {
  const { m, k, n, outCount } = p;
  const width = Math.ceil(n / 8) * 8;
  const padded = width !== n;
  if (m % 4 !== 0 || (padded && p.transposeB)) return false;
  if ((p.aCount !== 1 && p.aCount !== outCount) || (p.bCount !== 1 && p.bCount !== outCount)) return false;
  if (p.transposeB && m < MIN_ROWS_TO_TRANSPOSE_B) return false;
  const memory = heapMemory(backend);
  const simd = memory === undefined ? null : gemmSimdFor(memory);
  if (simd === null) return false;
  // B as the kernels read it ([k, width] matrices), C as they write it, where either is a copy.
  const bCopy = p.transposeB || padded ? allocateFloats(backend, p.bCount * k * width) : -1;
  const cCopy = padded ? allocateFloats(backend, outCount * m * width) : -1;
  try {
    const heap = heapFloat32(backend);
    if (p.transposeB) {
      for (let s = 0; s < p.bCount; s++) transposeOnHeap(memory, heap, p.bOffset / 4 + s * k * n, bCopy / 4 + s * k * n, n, k);
    } else if (padded) {
      copyRows(heap, p.bOffset / 4, n, bCopy / 4, width, p.bCount * k);
    }
    // One matrix of B for a whole batch of A (a dense layer): one tall product of the stacked A.
    const tall = !p.transposeA && p.bCount === 1 && p.aCount === outCount;
    const batch: ProductBatch = {
      aAt: p.aOffset, bAt: bCopy >= 0 ? bCopy : p.bOffset, cAt: padded ? cCopy : p.outOffset,
      m: tall ? outCount * m : m, k, n: width, batch: tall ? 1 : outCount,
      aStride: p.aCount === 1 ? 0 : 4 * m * k, bStride: p.bCount === 1 ? 0 : 4 * k * width, transposeA: p.transposeA,
    };
    if (!splitProducts(heap, batch)) runProductSlice(simd, batch, [0, productUnits(batch.batch, batch.m, batch.n, batch.transposeA)]);
    if (padded) copyRows(heapFloat32(backend), cCopy / 4, width, p.outOffset / 4, n, outCount * m);
  } finally {
    if (bCopy >= 0) release(backend, bCopy);
    if (cCopy >= 0) release(backend, cCopy);
  }
  return true;
}

/**
 * Copies `rows` rows from a matrix of row length `fromWidth` at element `from` into one of row
 * length `toWidth` at `to`: the first min(fromWidth, toWidth) elements of each, zeros after them.
 */
function copyRows(heap: Float32Array, from: number, fromWidth: number, to: number, toWidth: number, rows: number): void {
  const width = Math.min(fromWidth, toWidth);
  for (let r = 0; r < rows; r++) {
    const [source, target] = [from + r * fromWidth, to + r * toWidth];
    heap.copyWithin(target, source, source + width);
    if (toWidth > width) heap.fill(0, target + width, target + toWidth);
  }
}

/** One product per output matrix: where each operand's matrices are, and which to take. */
interface SliceProducts extends ProductOperands {
  aSources: Int32Array;
  bSources: Int32Array;
}

// XNNPACK packs its second operand anew for every product (a region registered for one call
// has no cached operator): measured here about 20x the cost per element of a tiled transpose.
// So the product is computed in whichever orientation packs the smaller operand, counting the
// transposes each needs. Attention's gradient Q^T dS ([16, N] x [N, N]) took 45 ms per head at
// N 1024 packing dS, against 6 ms transposing dS and packing the [N, 16] side.
const PACK_COST = 16;

/** Cost of out = op(A) op(B) as stored: B packed; transposed operands copied first. */
function directCost(m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): number {
  return PACK_COST * k * n + (transposeA ? m * k : 0) + (transposeB ? k * n : 0);
}

/** Cost of out^T = op(B)^T op(A)^T: A^T packed, then the [n, m] result transposed into out. */
function swappedCost(m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): number {
  return PACK_COST * k * m + (transposeB ? 0 : k * n) + (transposeA ? 0 : m * k) + m * n;
}

/** out = op(A) op(B), transposed operands copied untransposed into scratch space first. */
function multiplyDirect(backend: WasmBackend, p: SliceProducts): void {
  const { m, k, n, transposeA, transposeB } = p;
  // Transposed operands are copied one matrix at a time into scratch the size of one matrix,
  // which stays in cache between the copy and the product that reads it.
  const aScratch = transposeA ? allocateFloats(backend, m * k) : p.aOffset;
  const bScratch = transposeB ? allocateFloats(backend, k * n) : p.bOffset;
  try {
    let aInScratch = -1;
    let bInScratch = -1;
    for (let s = 0; s < p.aSources.length; s++) {
      const aSource = p.aSources[s];
      const bSource = p.bSources[s];
      // A fresh heap view each time: the previous product may have grown the heap.
      if (transposeA && aSource !== aInScratch) {
        transposeOnHeap(heapMemory(backend), heapFloat32(backend), (p.aOffset / 4) + aSource * m * k, aScratch / 4, k, m);
        aInScratch = aSource;
      }
      if (transposeB && bSource !== bInScratch) {
        transposeOnHeap(heapMemory(backend), heapFloat32(backend), (p.bOffset / 4) + bSource * k * n, bScratch / 4, n, k);
        bInScratch = bSource;
      }
      multiplyOnHeap(
        backend,
        transposeA ? aScratch : p.aOffset + aSource * m * k * 4,
        transposeB ? bScratch : p.bOffset + bSource * k * n * 4,
        p.outOffset + s * m * n * 4,
        m, k, n,
      );
    }
  } finally {
    if (transposeA) release(backend, aScratch);
    if (transposeB) release(backend, bScratch);
  }
}

/**
 * out^T = op(B)^T op(A)^T [n, m], then transposed into out: B stored transposed and A stored
 * transposed are used in place, the others copied transposed into scratch.
 */
function multiplySwapped(backend: WasmBackend, p: SliceProducts): void {
  const { m, k, n, transposeA, transposeB } = p;
  const bScratch = transposeB ? p.bOffset : allocateFloats(backend, n * k);
  const aScratch = transposeA ? p.aOffset : allocateFloats(backend, k * m);
  const resultScratch = allocateFloats(backend, n * m);
  try {
    let aInScratch = -1;
    let bInScratch = -1;
    for (let s = 0; s < p.aSources.length; s++) {
      const aSource = p.aSources[s];
      const bSource = p.bSources[s];
      if (!transposeB && bSource !== bInScratch) {
        transposeOnHeap(heapMemory(backend), heapFloat32(backend), (p.bOffset / 4) + bSource * k * n, bScratch / 4, k, n);
        bInScratch = bSource;
      }
      if (!transposeA && aSource !== aInScratch) {
        transposeOnHeap(heapMemory(backend), heapFloat32(backend), (p.aOffset / 4) + aSource * m * k, aScratch / 4, m, k);
        aInScratch = aSource;
      }
      multiplyOnHeap(
        backend,
        transposeB ? p.bOffset + bSource * n * k * 4 : bScratch,
        transposeA ? p.aOffset + aSource * k * m * 4 : aScratch,
        resultScratch,
        n, k, m,
      );
      transposeOnHeap(heapMemory(backend), heapFloat32(backend), resultScratch / 4, (p.outOffset / 4) + s * m * n, n, m);
    }
  } finally {
    if (!transposeB) release(backend, bScratch);
    if (!transposeA) release(backend, aScratch);
    release(backend, resultScratch);
  }
}

const batchMatMul: KernelFunc = ({ inputs, backend, attrs }) => {
  const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
  return batchMatMulOnHeap(
    asWasmBackend(backend), inputs['a'] as TensorInfo, inputs['b'] as TensorInfo,
    transposeA, transposeB,
  );
};

export const batchMatMulConfig: KernelConfig = {
  kernelName: tf.BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMul,
};
