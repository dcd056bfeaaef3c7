// BigBird's block-sparse attention (bigbird.ts) without its two large weight tensors: the global
// rows' [BH, b, N] and the middle's [BH, N, S b] (S key blocks per query block: at N 16K, 32
// heads of 8 examples and S 8 of 64, 1 GiB each, several of them held for the gradient). The
// global rows go through blockedAttention; the middle query blocks run in chunks whose gradient
// recomputes the chunk (the forward keeps nothing but its inputs). Values, gradients and the
// dropout masks are the dense version's: each chunk's mask is its rows of the dense middle mask.
import * as tf from '@tensorflow/tfjs';
import { blockedAttention, type BlockedAttentionDropout } from '../nn/flash-attention.js';
import { attentionBlockDropout } from '../nn/attention-block-dropout.js';
import { chunkedVjp } from '../nn/vjp.js';
import { BLOCK_ELEMENTS_PER_EXAMPLE } from './attention-plan.js';
import { MASKED_SCORE, middleSlots, padToBlocks } from './bigbird-slots.js';

/** Attention dropout as the dense version draws it: one seed per part, in part order. */
export interface BigBirdDropout {
  rate: number;
  nextSeed: () => number;
  /** Rows of B*H before this pass in the step's whole batch (ctx.examples.offset times H). */
  rowOffset: number;
}

export interface BigBirdBlocking {
  /** Middle query blocks per chunk; null: as many as keep a chunk's weights near BLOCK_ELEMENTS_PER_EXAMPLE per example. */
  chunkBlocks: number | null;
  dropout: BigBirdDropout | null;
  /** Examples in the pass: chunks are sized per example, so a pass's memory grows with its examples. */
  examples: number;
}

function seededDropout(dropout: BigBirdDropout | null): BlockedAttentionDropout | null {
  return dropout ? { rate: dropout.rate, seed: dropout.nextSeed(), exampleOffset: dropout.rowOffset } : null;
}

/**
 * The middle query blocks 1 .. blocks - 2 of padded q, k, v [BH, P, d] (P = blocks b), real
 * keys [BH, P]: [BH, (blocks - 2) b, d], chunk by chunk.
 */
function middleInChunks(
  qP: tf.Tensor3D, kP: tf.Tensor3D, vP: tf.Tensor3D, realP: tf.Tensor2D, layout: number[][], block: number, chunkBlocks: number | null,
  dropout: BlockedAttentionDropout | null, blockElements: number,
): tf.Tensor3D {
  const [bh, padded, d] = qP.shape;
  const blocks = padded / block;
  const middle = blocks - 2;
  const { slots, indices, slotBias } = middleSlots(layout, block);
  const width = slots * block;
  const chunk = Math.min(middle, chunkBlocks ?? Math.max(1, Math.floor(blockElements / (bh * block * width))));
  const chunks: Array<[number, number]> = [];
  for (let c0 = 0; c0 < middle; c0 += chunk) chunks.push([c0, Math.min(chunk, middle - c0)]);

  /** Middle blocks c0 .. c0 + c - 1: exactly the dense version's operations on their rows. */
  const chunkOf = (q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, real: tf.Tensor2D, c0: number, c: number): tf.Tensor3D =>
    tf.tidy(() => {
      const index = tf.tensor1d(indices.subarray(c0 * slots, (c0 + c) * slots), 'int32');
      const gatherBlocks = (t: tf.Tensor3D): tf.Tensor3D =>
        tf.reshape(tf.gather(tf.reshape(t, [bh, blocks, block, d]), index, 1), [bh * c, width, d]);
      const realGathered = tf.reshape(tf.gather(tf.reshape(real, [bh, blocks, block]), index, 1), [bh, c, 1, width]);
      const bias = tf.add(
        tf.mul(tf.sub(1, realGathered), MASKED_SCORE),
        tf.tensor4d(slotBias.subarray(c0 * width, (c0 + c) * width), [1, c, 1, width]),
      );
      const queries = tf.reshape(tf.slice(q, [0, block * (1 + c0), 0], [-1, c * block, -1]), [bh * c, block, d]);
      const scores = tf.add(tf.reshape(tf.matMul(queries, tf.transpose(gatherBlocks(k), [0, 2, 1])), [bh, c, block, width]), bias);
      let weights = tf.reshape(tf.softmax(scores), [bh, c * block, width]) as tf.Tensor3D;
      if (dropout) {
        weights = attentionBlockDropout(weights, {
          heads: 1, queries: middle * block, keys: width, queryStart: c0 * block, keyStart: 0, ...dropout,
        });
      }
      const mixed = tf.matMul(tf.reshape(weights, [bh * c, block, width]) as tf.Tensor3D, gatherBlocks(v));
      return tf.reshape(mixed, [bh, c * block, d]) as tf.Tensor3D;
    });

  const run = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[3] as tf.GradSaveFunc;
    const [q, k, v] = args.slice(0, 3) as tf.Tensor3D[];
    const parts = chunks.map(([c0, c]) => chunkOf(q!, k!, v!, realP, c0, c));
    const value = parts.length === 1 ? parts[0]! : (tf.concat(parts, 1) as tf.Tensor3D);
    if (parts.length > 1) tf.dispose(parts);
    // The real-key mask travels in `saved`: the caller's copy is gone by the backward pass.
    save([q!, k!, v!, realP]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [qS, kS, vS, realS] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor2D];
        return chunkedVjp(
          chunks,
          [qS, kS, vS],
          ([c0, c]) => chunkOf(qS, kS, vS, realS, c0, c) as tf.Tensor,
          ([c0, c]) => tf.slice(dy, [0, c0 * block, 0], [bh, c * block, d]),
        );
      },
    };
  });
  return run(qP, kP, vP) as tf.Tensor3D;
}

/**
 * bigBirdAttentionHeads (bigbird.ts) computed without its large weight tensors: the same
 * arguments, and `blocking` in place of its `drop`.
 */
export function bigBirdBlockedHeads(
  q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, realKeys: tf.Tensor2D, blockSize: number, layout: number[][], blocking: BigBirdBlocking,
): tf.Tensor3D {
  return tf.tidy(() => {
    const { bh, length, d, block, blocks, padded, qP, kP, vP, realP } = padToBlocks(q, k, v, realKeys, blockSize, layout);
    const keyBias = tf.mul(tf.sub(1, realP), MASKED_SCORE) as tf.Tensor2D;
    const kT = tf.transpose(kP, [0, 2, 1]) as tf.Tensor3D;
    // A global block's rows against every key: blocks of keys keep each weight block near 64 MiB.
    // Weight blocks of blocked attention's size: 8 MiB per example.
    const blockElements = BLOCK_ELEMENTS_PER_EXAMPLE * blocking.examples;
    const keyBlock = Math.max(block, Math.floor(blockElements / (bh * block)));
    // Seeds in the dense version's order: first block, middle, last block.
    const globalRows = (start: number): tf.Tensor3D =>
      blockedAttention(tf.slice(qP, [0, start, 0], [-1, block, -1]), kT, vP, keyBias, {
        heads: 1, queryBlock: block, keyBlock, dropout: seededDropout(blocking.dropout),
      });
    const parts: tf.Tensor3D[] = [globalRows(0)];
    if (blocks > 2) parts.push(middleInChunks(qP, kP, vP, realP, layout, block, blocking.chunkBlocks, seededDropout(blocking.dropout), blockElements));
    if (blocks > 1) parts.push(globalRows(padded - block));
    return tf.slice(tf.concat(parts, 1), [0, 0, 0], [bh, length, d]) as tf.Tensor3D;
  });
}
