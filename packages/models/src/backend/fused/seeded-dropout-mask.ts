// The mask of the seeded dropout kernel (seeded-dropout.ts) as plain functions over float32
// arrays, with no tfjs import: the heap's worker threads (../parallel/heap-worker.ts) load them
// to compute slices of one mask in parallel.

import type { DropoutSimd } from '../simd/simd-kernels.js';

export const SEEDED_DROPOUT_KERNEL = 'LraSeededDropout';

export interface SeededDropoutAttrs {
  /** Probability of zeroing an element, in [0, 1). */
  rate: number;
  /** Integer seed, as ForwardContext.nextSeed hands out. */
  seed: number;
  /**
   * Index of x's first element in the tensor the mask is defined over (default 0). A micro-batch
   * that starts at example e of its batch passes e x (elements per example), so its mask is the
   * slice of the whole batch's mask: the update does not depend on how the batch is split.
   */
  offset?: number;
}

/** A 32-bit integer mixer with low bias (Wellons' lowbias32): every output bit depends on every input bit. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * The keys a pair's hash is taken under: an odd multiplier and a mask. Counters are multiplied,
 * not offset, so two seeds never give shifted copies of one sequence.
 */
function seedKeys(seed: number): [number, number] {
  const low = mix32(seed >>> 0);
  const high = mix32(((seed / 2 ** 32) >>> 0) ^ 0x9e3779b9);
  return [(mix32(low ^ 0x85ebca6b) | 1) >>> 0, mix32(low ^ high)];
}

/** Half-hashes below this are dropped: the rate in steps of 2^-16 (within 7.7e-6 of it). */
function dropThreshold(rate: number): number {
  return Math.round(rate * 65536);
}

function checkAttrs(attrs: SeededDropoutAttrs): void {
  if (!(attrs.rate >= 0 && attrs.rate < 1)) throw new Error(`${SEEDED_DROPOUT_KERNEL}: rate must be in [0, 1), got ${attrs.rate}`);
  if (!Number.isInteger(attrs.seed)) throw new Error(`${SEEDED_DROPOUT_KERNEL}: seed must be an integer, got ${attrs.seed}`);
  const offset = attrs.offset ?? 0;
  if (!(Number.isSafeInteger(offset) && offset >= 0)) throw new Error(`${SEEDED_DROPOUT_KERNEL}: offset must be a non-negative integer, got ${offset}`);
}

/** The hash that decides the pair of elements 2p and 2p+1 (p may exceed 2^32: its high part is mixed in). */
function pairHash(p: number, multiplier: number, key: number): number {
  const high = Math.floor(p / 2 ** 32);
  const low = Math.imul(p >>> 0, multiplier) ^ key;
  return mix32(high === 0 ? low : low ^ mix32(high ^ key));
}

/**
 * out[i] = x[i] / (1 - rate) where element offset + i is kept, else 0 (x and out may be the same
 * array). Element g of the whole tensor is decided by half g & 1 of pair g >> 1's hash. `simd`:
 * the SIMD module over the memory x and out lie on (the wasm heap), for runs of 4 pairs.
 */
export function applySeededDropout(x: Float32Array, out: Float32Array, attrs: SeededDropoutAttrs, simd: DropoutSimd | null = null): void {
  checkAttrs(attrs);
  const [multiplier, key] = seedKeys(attrs.seed);
  const threshold = dropThreshold(attrs.rate);
  // The scale as float32, as tf.mul(x, 1 / (1 - rate)) uses it: the product of two float32
  // values is exact in double precision, so storing it rounds exactly as float32 arithmetic.
  const scale = Math.fround(1 / (1 - attrs.rate));
  const size = x.length;
  const offset = attrs.offset ?? 0;
  let i = 0;
  if (offset % 2 === 1 && size > 0) {
    // The first element is the high half of a pair whose low half belongs to the previous slice.
    const h = pairHash((offset - 1) / 2, multiplier, key);
    out[0] = h >>> 16 >= threshold ? x[0]! * scale : 0;
    i = 1;
  }
  // One hash per pair of elements: the hash is most of the kernel's work. pairHash inlined, its
  // high part taken once per run of 2^32 pairs (18 -> 12 ms over 4M elements, the same bits).
  let p = (offset + i) / 2;
  while (i + 1 < size) {
    const high = Math.floor(p / 2 ** 32);
    const highMix = high === 0 ? 0 : mix32(high ^ key);
    const pairs = Math.min((size - i) >> 1, (high + 1) * 2 ** 32 - p);
    const end = i + 2 * pairs;
    let low = p - high * 2 ** 32;
    if (simd !== null) {
      // Groups of 4 pairs in SIMD lanes (the same bits), the rest below.
      const groups = pairs >> 2;
      simd.dropout(x.byteOffset + 4 * i, out.byteOffset + 4 * i, groups, low, multiplier, key ^ highMix, threshold, scale);
      i += 8 * groups;
      low += 4 * groups;
    }
    for (; i < end; i += 2, low++) {
      let h = Math.imul(low, multiplier) ^ key ^ highMix;
      h ^= h >>> 16;
      h = Math.imul(h, 0x7feb352d);
      h ^= h >>> 15;
      h = Math.imul(h, 0x846ca68b);
      h ^= h >>> 16;
      out[i] = (h & 0xffff) >= threshold ? x[i]! * scale : 0;
      out[i + 1] = h >>> 16 >= threshold ? x[i + 1]! * scale : 0;
    }
    p += pairs;
  }
  if (i < size) {
    const h = pairHash(p, multiplier, key);
    out[i] = (h & 0xffff) >= threshold ? x[i]! * scale : 0;
  }
}

/** Whether element `index` of the whole tensor is kept under attrs' seed and rate (attrs.offset ignored). */
export function seededDropoutKeeps(index: number, attrs: SeededDropoutAttrs): boolean {
  const [multiplier, key] = seedKeys(attrs.seed);
  const h = pairHash(Math.floor(index / 2), multiplier, key);
  return (index % 2 === 0 ? h & 0xffff : h >>> 16) >= dropThreshold(attrs.rate);
}

/** The mask as values 0 and 1 / (1 - rate), for backends without the kernel. */
export function seededDropoutMask(size: number, attrs: SeededDropoutAttrs): Float32Array {
  const mask = new Float32Array(size).fill(1);
  applySeededDropout(mask, mask, attrs);
  return mask;
}

/**
 * applySeededDropout of x into out and, with the same mask, of y into outY (all of one length):
 * fused attention's gradient drops the weights and their gradient alike. On the SIMD path, for
 * whole groups of 4 pairs from an even offset, each hash is taken once for both (the hash is most
 * of the work); otherwise the mask is simply applied twice (the same mask: it is a function of
 * the index).
 */
export function applySeededDropoutPair(x: Float32Array, out: Float32Array, y: Float32Array, outY: Float32Array, attrs: SeededDropoutAttrs, simd: DropoutSimd | null = null): void {
  if (out.length !== x.length || y.length !== x.length || outY.length !== x.length) throw new Error(`${SEEDED_DROPOUT_KERNEL}: a pair needs four arrays of one length`);
  const offset = attrs.offset ?? 0;
  if (simd === null || offset % 2 !== 0 || x.length % 8 !== 0 || (offset + x.length) / 2 > 2 ** 32) {
    applySeededDropout(x, out, attrs, simd);
    applySeededDropout(y, outY, attrs, simd);
    return;
  }
  checkAttrs(attrs);
  const [multiplier, key] = seedKeys(attrs.seed);
  simd.dropoutPair(x.byteOffset, out.byteOffset, y.byteOffset, outY.byteOffset, x.length / 8, offset / 2, multiplier, key, dropThreshold(attrs.rate), Math.fround(1 / (1 - attrs.rate)));
}
