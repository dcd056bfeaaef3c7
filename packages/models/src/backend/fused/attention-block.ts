// The element-wise work of blocked (FlashAttention-style) softmax attention, one pass over a
// block of scores [B*H, Bq, Bk] each: the key padding bias, the row maximum, the exponentials,
// their row sums and the attention dropout forward; exp(S - L), the dropout mask and
// dS = P (dP - D) backward. Composed from tfjs ops each would be four to six passes over the
// block, and wasm's exp alone costs more than the two products around it.
// The backward takes the row maximum m and sum l, not L = m + log l: on a row whose keys are all
// padding m is about -1e9, where float32 has no room left for log l.
//
// Dropout decides element (b, h, i, j) of a block exactly as the dense path's dropout decides it
// in the whole [B*H, N, N] weights tensor: by its whole-batch index
// ((exampleOffset + b) H + h) N^2 + i N + j, row by row through applySeededDropout.
import type { NamedAttrMap } from '@tensorflow/tfjs';
import type { ArrayKernel } from './array-kernel.js';
import { fastExp } from './fast-exp.js';
import { applySeededDropout } from './seeded-dropout.js';

export const ATTENTION_BLOCK_FORWARD_KERNEL = 'LraAttentionBlockForward';
export const ATTENTION_BLOCK_BACKWARD_KERNEL = 'LraAttentionBlockBackward';

/** Where a block sits in the whole attention, and its dropout. */
export interface AttentionBlockAttrs {
  /** Heads H: row r of a block belongs to example floor(r / H) of the pass. */
  heads: number;
  /** Keys N in the whole attention (the key bias is [B, N]). */
  keys: number;
  /** Index of the block's first query and first key. */
  queryStart: number;
  keyStart: number;
  /** 1: keyBias [B, N] is added to the scores; 0: no mask (keyBias is not read). */
  masked: number;
  /** Attention dropout rate (0: none) and its seed, as the dense path draws it. */
  rate: number;
  seed: number;
  /** ctx.examples.offset: the pass's first example in the step's whole batch. */
  exampleOffset: number;
}

function blockAttrs(attrs: NamedAttrMap): AttentionBlockAttrs {
  return attrs as unknown as AttentionBlockAttrs;
}

function checkBlock(name: string, scores: number[], rows: number[], a: AttentionBlockAttrs): void {
  if (scores.length !== 3 || rows.length !== 2 || rows[0] !== scores[0] || rows[1] !== scores[1]) {
    throw new Error(`${name}: scores [${scores.join(', ')}] and row statistics [${rows.join(', ')}] do not match`);
  }
  if (scores[0]! % a.heads !== 0) throw new Error(`${name}: ${scores[0]} rows are not a whole number of ${a.heads} heads`);
  if (a.keyStart + scores[2]! > a.keys) throw new Error(`${name}: keys ${a.keyStart}..${a.keyStart + scores[2]!} exceed ${a.keys}`);
}

/** Whole-batch index of the first weight of row i of block row `bh`. */
function rowIndex(a: AttentionBlockAttrs, bh: number, i: number): number {
  return ((a.exampleOffset * a.heads + bh) * a.keys + a.queryStart + i) * a.keys + a.keyStart;
}

/**
 * Forward: w = exp(S + bias - m') with m' = max(m, row max of S + bias) (m: the running maximum
 * of the keys before this block), dropped and rescaled; outputs w, m' and the row sums of w
 * before dropout (the softmax denominator counts every key).
 */
export const attentionBlockForwardKernel: ArrayKernel = {
  kernelName: ATTENTION_BLOCK_FORWARD_KERNEL,
  inputs: ['scores', 'keyBias', 'runningMax'],
  outputShapes([scores, , runningMax], attrs) {
    checkBlock(ATTENTION_BLOCK_FORWARD_KERNEL, scores!, runningMax!, blockAttrs(attrs));
    return [scores!, runningMax!, runningMax!];
  },
  compute([scores, keyBias, runningMax], [shape], [weights, maxima, sums], attrs) {
    const a = blockAttrs(attrs);
    const [rows, queries, width] = shape as [number, number, number];
    const dropout = { rate: a.rate, seed: a.seed, offset: 0 };
    for (let r = 0; r < rows * queries; r++) {
      const bh = Math.floor(r / queries);
      const base = r * width;
      const biasBase = Math.floor(bh / a.heads) * a.keys + a.keyStart;
      let max = runningMax![r]!;
      for (let j = 0; j < width; j++) {
        // Stored as float32 first: the sum rounds as the dense path's float32 Add does.
        weights![base + j] = a.masked ? scores![base + j]! + keyBias![biasBase + j]! : scores![base + j]!;
        if (weights![base + j]! > max) max = weights![base + j]!;
      }
      let sum = 0;
      for (let j = base; j < base + width; j++) {
        weights![j] = fastExp(weights![j]! - max);
        sum += weights![j]!;
      }
      maxima![r] = max;
      sums![r] = sum;
      if (a.rate > 0) {
        const row = weights!.subarray(base, base + width);
        dropout.offset = rowIndex(a, bh, r % queries);
        applySeededDropout(row, row, dropout);
      }
    }
  },
};

/**
 * Backward: P = exp(S + bias - m) / l from the row maximum m and sum l, and with the row deltas
 * D = rowsum(dO O): outputs the dropped weights P M (for dV) and dS = P (dP M - D), where
 * dP = dO V^T and M is the forward's mask scaled by 1 / (1 - rate).
 */
export const attentionBlockBackwardKernel: ArrayKernel = {
  kernelName: ATTENTION_BLOCK_BACKWARD_KERNEL,
  inputs: ['scores', 'keyBias', 'rowMax', 'rowSum', 'dWeights', 'delta'],
  outputShapes([scores, , rowMax, rowSum, dWeights, delta], attrs) {
    checkBlock(ATTENTION_BLOCK_BACKWARD_KERNEL, scores!, rowMax!, blockAttrs(attrs));
    if (dWeights!.join() !== scores!.join() || delta!.join() !== rowMax!.join() || rowSum!.join() !== rowMax!.join()) {
      throw new Error(`${ATTENTION_BLOCK_BACKWARD_KERNEL}: dWeights [${dWeights!.join(', ')}] or delta [${delta!.join(', ')}] do not match the block`);
    }
    return [scores!, scores!];
  },
  compute([scores, keyBias, rowMax, rowSum, dWeights, delta], [shape], [weights, dScores], attrs) {
    const a = blockAttrs(attrs);
    const [rows, queries, width] = shape as [number, number, number];
    const dropout = { rate: a.rate, seed: a.seed, offset: 0 };
    for (let r = 0; r < rows * queries; r++) {
      const bh = Math.floor(r / queries);
      const base = r * width;
      const biasBase = Math.floor(bh / a.heads) * a.keys + a.keyStart;
      const max = rowMax![r]!;
      const inverseSum = 1 / rowSum![r]!;
      const d = delta![r]!;
      for (let j = 0; j < width; j++) {
        weights![base + j] = a.masked ? scores![base + j]! + keyBias![biasBase + j]! : scores![base + j]!;
        weights![base + j] = fastExp(weights![base + j]! - max) * inverseSum;
      }
      if (a.rate > 0) {
        const end = base + width;
        dropout.offset = rowIndex(a, bh, r % queries);
        applySeededDropout(dWeights!.subarray(base, end), dScores!.subarray(base, end), dropout);
        for (let j = base; j < end; j++) dScores![j] = weights![j]! * (dScores![j]! - d);
        const row = weights!.subarray(base, end);
        applySeededDropout(row, row, dropout);
      } else {
        for (let j = base; j < base + width; j++) dScores![j] = weights![j]! * (dWeights![j]! - d);
      }
    }
  },
};
