// The work of the fused attention kernels (fused-attention.ts) over byte offsets of the wasm heap,
// a block of query rows at a time, so that no [B*H, N, N] tensor is ever written: the block's
// scores [R, N] are computed into a thread's own scratch, soft-maxed, dropped out and multiplied
// by the values while they are in cache. The backward pass recomputes them from the same inputs
// and the rows' saved max and 1 / sum (the same bits), as FlashAttention does. Every step is one
// of the project's SIMD kernels (gemm, attention-softmax, seeded-dropout, softmax-grad,
// transpose); the dropout mask is the dense path's, element (b, h, i, j) decided by its index in
// the whole batch's weights. No tfjs import: the heap pool's worker threads load this file.
import {
  attentionSoftmaxSimdFor, dropoutSimdFor, gemmSimdFor, softmaxGradSimdFor, transposeSimdFor,
  type AttentionSoftmaxSimd, type DropoutSimd, type GemmSimd, type SoftmaxGradSimd, type TransposeSimd,
} from '../simd/simd-kernels.js';
import { applySeededDropout, applySeededDropoutPair } from './seeded-dropout-mask.js';

/** Sizes of one call: B*H heads of N queries and keys of width d; R query rows a block. */
export interface AttentionShape {
  /** B*H: the heads of every example. */
  headsTotal: number;
  /** H: heads per example (the key bias is per example; the dropout index counts examples). */
  heads: number;
  n: number;
  d: number;
  rowBlock: number;
  /** Dropout on the weights: rate 0 for none; seed and the pass's first example as seeded-dropout.ts. */
  rate: number;
  seed: number;
  exampleOffset: number;
  /**
   * The queries and keys the dropout's index counts (the caller's N, before it padded them to a
   * multiple of 8): element (b, h, i, j) is decided by ((b H + h) N' + i) N' + j, as on the dense
   * path. Padded keys weigh 0 and padded queries are dropped, so their masks do not matter.
   */
  dropoutN: number;
}

/** Byte offsets (biasAt -1: no key bias) of the forward pass's tensors and its scratch. */
export interface AttentionForwardJob extends AttentionShape {
  qAt: number;
  kTAt: number;
  vAt: number;
  biasAt: number;
  outAt: number;
  statsAt: number;
  scratchAt: number;
}

/** Byte offsets of the backward pass's tensors (dy: the output's gradient) and its scratch. */
export interface AttentionBackwardJob extends AttentionShape {
  dyAt: number;
  qAt: number;
  kTAt: number;
  vAt: number;
  biasAt: number;
  statsAt: number;
  dqAt: number;
  dkTAt: number;
  dvAt: number;
  scratchAt: number;
}

// The order a job's fields travel in the heap pool's job array (../parallel/job-fields.ts).
const SHAPE_FIELDS = ['headsTotal', 'heads', 'n', 'd', 'rowBlock', 'rate', 'seed', 'exampleOffset', 'dropoutN'] as const;
export const FORWARD_FIELDS = ['qAt', 'kTAt', 'vAt', 'biasAt', 'outAt', 'statsAt', 'scratchAt', ...SHAPE_FIELDS] as const;
export const BACKWARD_FIELDS = ['dyAt', 'qAt', 'kTAt', 'vAt', 'biasAt', 'statsAt', 'dqAt', 'dkTAt', 'dvAt', 'scratchAt', ...SHAPE_FIELDS] as const;

/**
 * Query rows per block: the block's scores (R x N floats) about 128 KiB, so that the backward's
 * three blocks and the head's transposed keys and values stay in a core's L2 cache; a multiple of
 * 4 (the products' tiles), 4 to 64.
 */
export function attentionRowBlock(n: number): number {
  return Math.max(4, Math.min(64, Math.floor(32768 / n / 4) * 4));
}

/** Scratch floats each thread needs: forward one block; backward three blocks and a head's K and V^T. */
export function forwardScratchFloats(s: Pick<AttentionShape, 'n' | 'rowBlock'>): number {
  return s.rowBlock * s.n;
}

export function backwardScratchFloats(s: Pick<AttentionShape, 'n' | 'd' | 'rowBlock'>): number {
  return 3 * s.rowBlock * s.n + 2 * s.d * s.n;
}

/** Units a forward job splits into: blocks of rows of every head. */
export function forwardUnits(s: Pick<AttentionShape, 'headsTotal' | 'n' | 'rowBlock'>): number {
  return s.headsTotal * Math.ceil(s.n / s.rowBlock);
}

interface AttentionSimd {
  gemm: GemmSimd;
  softmax: AttentionSoftmaxSimd;
  dropout: DropoutSimd;
  softmaxGrad: SoftmaxGradSimd;
  transpose: TransposeSimd;
}

/** The SIMD modules over `memory`, or null where any is missing (then the kernels cannot run). */
export function attentionSimdFor(memory: object): AttentionSimd | null {
  const parts = {
    gemm: gemmSimdFor(memory), softmax: attentionSoftmaxSimdFor(memory), dropout: dropoutSimdFor(memory),
    // Every row here is a multiple of 8 long, which the softmax gradient's module takes.
    softmaxGrad: softmaxGradSimdFor(memory, 8), transpose: transposeSimdFor(memory),
  };
  return Object.values(parts).every((part) => part !== null) ? (parts as AttentionSimd) : null;
}

function simdOf(memory: object): AttentionSimd {
  const simd = attentionSimdFor(memory);
  if (simd === null) throw new Error('the fused attention needs the SIMD kernels over the heap memory');
  return simd;
}

/** The dropout of query row i of head bh: its index in the whole batch's weights (AttentionShape.dropoutN). */
function rowDropout(s: AttentionShape, bh: number, i: number): { rate: number; seed: number; offset: number } {
  return { rate: s.rate, seed: s.seed, offset: ((s.exampleOffset * s.heads + bh) * s.dropoutN + i) * s.dropoutN };
}

/**
 * Drops out `rows` rows of n at `from` into `to` (may be the same): query rows i0.. of head bh;
 * with `pair`, the same mask on pair.from into pair.to too.
 */
function dropRows(simd: AttentionSimd, heap: ArrayBufferLike, s: AttentionShape, bh: number, i0: number, rows: number, from: number, to: number, pair?: { from: number; to: number }): void {
  const rowBytes = 4 * s.n;
  const row = (at: number, r: number) => new Float32Array(heap, at + r * rowBytes, s.n);
  for (let r = 0; r < rows; r++) {
    if (pair === undefined) applySeededDropout(row(from, r), row(to, r), rowDropout(s, bh, i0 + r), simd.dropout);
    else applySeededDropoutPair(row(from, r), row(to, r), row(pair.from, r), row(pair.to, r), rowDropout(s, bh, i0 + r), simd.dropout);
  }
}

/** Where head bh's key bias row lies (the bias is per example), or 0 without one (biasAt -1). */
function biasRow(job: AttentionShape & { biasAt: number }, bh: number): number {
  return job.biasAt < 0 ? 0 : job.biasAt + 4 * Math.floor(bh / job.heads) * job.n;
}

/**
 * Forward units [first, last) (blocks of R query rows, head by head): out = dropout(softmax(q k^T
 * + bias)) v, and each row's max and 1 / sum in stats. `scratchAt`: this thread's R x N floats.
 */
export function attentionForwardSlice(memory: { readonly buffer: ArrayBufferLike }, job: AttentionForwardJob, [first, last]: readonly [number, number], scratchAt: number): void {
  const simd = simdOf(memory);
  const { n, d, rowBlock } = job;
  const blocks = Math.ceil(n / rowBlock);
  for (let unit = first; unit < last; unit++) {
    const bh = Math.floor(unit / blocks);
    const i0 = (unit - bh * blocks) * rowBlock;
    const rows = Math.min(rowBlock, n - i0);
    const rowAt = bh * n + i0;
    simd.gemm.gemmNN(job.qAt + 4 * rowAt * d, job.kTAt + 4 * bh * d * n, scratchAt, rows, d, n, 0, rows, 0);
    simd.softmax.softmaxRows(scratchAt, biasRow(job, bh), job.statsAt + 8 * rowAt, rows, n, job.biasAt < 0 ? 0 : 1);
    if (job.rate > 0) dropRows(simd, memory.buffer, job, bh, i0, rows, scratchAt, scratchAt);
    simd.gemm.gemmNN(scratchAt, job.vAt + 4 * bh * n * d, job.outAt + 4 * rowAt * d, rows, n, d, 0, rows, 0);
  }
}

/**
 * Backward for heads [first, last): dq, dk^T and dv of each head whole (its key and value
 * gradients are sums over all its query blocks, so a head is one thread's). `scratchAt`: this
 * thread's backwardScratchFloats.
 */
export function attentionBackwardSlice(memory: { readonly buffer: ArrayBufferLike }, job: AttentionBackwardJob, [first, last]: readonly [number, number], scratchAt: number): void {
  const simd = simdOf(memory);
  const { n, d, rowBlock } = job;
  const weightsAt = scratchAt;
  const droppedAt = weightsAt + 4 * rowBlock * n;
  const gradAt = droppedAt + 4 * rowBlock * n;
  const vTAt = gradAt + 4 * rowBlock * n;
  const keysAt = vTAt + 4 * d * n;
  for (let bh = first; bh < last; bh++) {
    const [kT, v, dkT, dv] = [job.kTAt, job.vAt, job.dkTAt, job.dvAt].map((at) => at + 4 * bh * n * d) as [number, number, number, number];
    simd.transpose.transpose(v, vTAt, n, d, 0, n);
    simd.transpose.transpose(kT, keysAt, d, n, 0, d);
    const bias = biasRow(job, bh);
    for (let i0 = 0; i0 < n; i0 += rowBlock) {
      const rows = Math.min(rowBlock, n - i0);
      const rowAt = bh * n + i0;
      const [q, dy, dq] = [job.qAt, job.dyAt, job.dqAt].map((at) => at + 4 * rowAt * d) as [number, number, number];
      // The first block writes dk^T and dv; the others add to them.
      const accumulate = i0 === 0 ? 0 : 1;
      // P, recomputed; the gradient of the dropped weights, dy v^T.
      simd.gemm.gemmNN(q, kT, weightsAt, rows, d, n, 0, rows, 0);
      simd.softmax.softmaxRecompute(weightsAt, bias, job.statsAt + 8 * rowAt, rows, n, job.biasAt < 0 ? 0 : 1);
      simd.gemm.gemmNN(dy, vTAt, gradAt, rows, d, n, 0, rows, 0);
      // One mask for both: dropout(P), and dP = dropout'(dy v^T) in place.
      let dropped = weightsAt;
      if (job.rate > 0) {
        dropRows(simd, memory.buffer, job, bh, i0, rows, weightsAt, droppedAt, { from: gradAt, to: gradAt });
        dropped = droppedAt;
      }
      // dv += dropout(P)^T dy; dS = P (dP - sum(dP P)) in place.
      simd.gemm.gemmTN(dropped, dy, dv, rows, n, d, 0, d, accumulate);
      simd.softmaxGrad.softmaxGrad(gradAt, weightsAt, gradAt, rows, n);
      // dq = dS k; dk^T += q^T dS
      simd.gemm.gemmNN(gradAt, keysAt, dq, rows, n, d, 0, rows, 0);
      simd.gemm.gemmTN(q, gradAt, dkT, rows, d, n, 0, n, accumulate);
    }
  }
}
