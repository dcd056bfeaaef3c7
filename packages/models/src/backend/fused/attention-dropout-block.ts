// Attention dropout on one block [B*H, Bq, Bk] of the weights, with exactly the mask the dense
// path's dropout (seeded-dropout.ts) gives the whole [B*H, M, N] weights tensor (M queries, N
// keys): element (b, h, i, j) of the block is decided by its whole-batch index
// (((exampleOffset + b) H + h) M + queryStart + i) N + keyStart + j. A block's rows are strided
// in the whole tensor, so the mask is applied row by row, each row a contiguous run of indices.
// The pair kernel masks two blocks with one mask (the backward's weights and their gradient).
import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap } from '@tensorflow/tfjs';
import type { ArrayKernel } from './array-kernel.js';
import { applySeededDropout, type SeededDropoutAttrs } from './seeded-dropout.js';

export const ATTENTION_DROPOUT_BLOCK_KERNEL = 'LraAttentionDropoutBlock';
export const ATTENTION_DROPOUT_BLOCK_PAIR_KERNEL = 'LraAttentionDropoutBlockPair';

/** Where a block sits in the whole attention weights, and the dropout the dense path draws. */
export interface AttentionBlockAttrs {
  heads: number;
  /** M and N: queries and keys of the whole weights tensor. */
  queries: number;
  keys: number;
  queryStart: number;
  keyStart: number;
  rate: number;
  seed: number;
  /** ctx.examples.offset: the pass's first example in the step's whole batch. */
  exampleOffset: number;
}

function checkBlock(name: string, shape: number[] | undefined, a: AttentionBlockAttrs): void {
  if (!shape || shape.length !== 3 || shape[0]! % a.heads !== 0) {
    throw new Error(`${name}: a block must be [B*H, Bq, Bk] with B*H a multiple of ${a.heads} heads, got [${shape?.join(', ')}]`);
  }
  if (a.queryStart + shape[1]! > a.queries || a.keyStart + shape[2]! > a.keys) {
    throw new Error(`${name}: block [${shape.join(', ')}] at (${a.queryStart}, ${a.keyStart}) exceeds ${a.queries} x ${a.keys} weights`);
  }
}

/** Calls apply(row start in the block, dropout attrs whose offset is that row's whole-batch index) for every row. */
function forEachRow(shape: number[], a: AttentionBlockAttrs, apply: (start: number, attrs: SeededDropoutAttrs) => void): void {
  const [rows, queries, width] = shape as [number, number, number];
  const attrs = { rate: a.rate, seed: a.seed, offset: 0 };
  for (let bh = 0; bh < rows; bh++) {
    for (let i = 0; i < queries; i++) {
      attrs.offset = ((a.exampleOffset * a.heads + bh) * a.queries + a.queryStart + i) * a.keys + a.keyStart;
      apply((bh * queries + i) * width, attrs);
    }
  }
}

/** The block's mask as values 0 and 1 / (1 - rate), for backends without the kernels. */
export function attentionBlockMask(shape: number[], a: AttentionBlockAttrs): Float32Array {
  checkBlock('attentionBlockMask', shape, a);
  const width = shape[2]!;
  const mask = new Float32Array(shape[0]! * shape[1]! * width).fill(1);
  forEachRow(shape, a, (start, attrs) => {
    const row = mask.subarray(start, start + width);
    applySeededDropout(row, row, attrs);
  });
  return mask;
}

function blockAttrs(attrs: NamedAttrMap): AttentionBlockAttrs {
  return attrs as unknown as AttentionBlockAttrs;
}

export const attentionDropoutBlockKernel: ArrayKernel = {
  kernelName: ATTENTION_DROPOUT_BLOCK_KERNEL,
  inputs: ['x'],
  outputShapes([x], attrs) {
    checkBlock(ATTENTION_DROPOUT_BLOCK_KERNEL, x, blockAttrs(attrs));
    return [x!];
  },
  compute([x], [shape], [out], attrs) {
    const width = shape![2]!;
    forEachRow(shape!, blockAttrs(attrs), (start, a) => applySeededDropout(x!.subarray(start, start + width), out!.subarray(start, start + width), a));
  },
};

export const attentionDropoutBlockPairKernel: ArrayKernel = {
  kernelName: ATTENTION_DROPOUT_BLOCK_PAIR_KERNEL,
  inputs: ['x', 'y'],
  outputShapes([x, y], attrs) {
    checkBlock(ATTENTION_DROPOUT_BLOCK_PAIR_KERNEL, x, blockAttrs(attrs));
    if (x!.join() !== y!.join()) throw new Error(`${ATTENTION_DROPOUT_BLOCK_PAIR_KERNEL}: x [${x!.join(', ')}] and y [${y!.join(', ')}] differ`);
    return [x!, y!];
  },
  compute([x, y], [shape], [xOut, yOut], attrs) {
    const width = shape![2]!;
    // The hash is most of the work: each row's mask (0 or the float32 scale) is made once and
    // multiplied into both, which rounds exactly as applying the dropout to each would.
    const ones = new Float32Array(width).fill(1);
    const mask = new Float32Array(width);
    forEachRow(shape!, blockAttrs(attrs), (start, a) => {
      applySeededDropout(ones, mask, a);
      for (let j = 0; j < width; j++) {
        xOut![start + j] = x![start + j]! * mask[j]!;
        yOut![start + j] = y![start + j]! * mask[j]!;
      }
    });
  },
};

/** The single kernel's gradient is the same mask on dy (BigBird's recomputed chunks differentiate through it). */
export const attentionDropoutBlockGradient: tf.GradConfig = {
  kernelName: ATTENTION_DROPOUT_BLOCK_KERNEL,
  gradFunc: (dy, _saved, attrs) => ({
    x: () => tf.engine().runKernel(ATTENTION_DROPOUT_BLOCK_KERNEL, { x: dy as tf.Tensor }, attrs as NamedAttrMap) as tf.Tensor,
  }),
};
