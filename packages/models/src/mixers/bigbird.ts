// BigBird's block-sparse attention (Zaheer et al. 2020, the ITC variant: global tokens are
// existing ones). The sequence is cut into blocks; the first and the last block are global (their
// queries see every key, and every query sees their keys); every other query block sees the
// 3-block band around it and r random blocks. Each query block's key blocks are gathered and
// attended densely, so the cost is O(N b (5 + r)) instead of O(N^2).
//
// The random blocks are drawn once per layer (from the model's seed and the layer) and shared by
// the heads; the reference draws them per head. A sequence that is not a multiple of the block
// size is padded with masked positions; a block's key set holds each block once (the band, the
// globals and the random blocks never overlap), and when fewer than r blocks remain to draw from
// it takes what there is.
import * as tf from '@tensorflow/tfjs';
import { forwardIsNested } from '../backend/fused/higher-order.js';
import type { ForwardContext } from '../nn/context.js';
import { dropout } from '../nn/dropout.js';
import type { UniformSource } from '../nn/initializers.js';
import { DENSE_WEIGHTS_PER_EXAMPLE_BYTES } from './attention-plan.js';
import { bigBirdBlockedHeads } from './bigbird-blocked.js';
import { createLraBigBird, lraBigBirdProblem } from './bigbird-lra.js';
import { MASKED_SCORE, middleSlots, padToBlocks } from './bigbird-slots.js';
import { checkMask, headLayout, headLayoutProblem, headProjection, layerRandom, outputProjection } from './heads.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface BigBirdOptions {
  /** Width of queries, keys and values over all heads; null means dModel. */
  qkvDim: number | null;
  /** Block length b (shorter sequences use one block of their own length). */
  blockSize: number;
  /** Random key blocks per query block. */
  randomBlocks: number;
  /**
   * 'dense' holds the weights of every query block at once; 'blocked' (bigbird-blocked.ts) the
   * global rows in blocks and the middle in chunks recomputed for the gradient; 'auto': blocked
   * when one example's middle weights would exceed DENSE_WEIGHTS_PER_EXAMPLE_BYTES (per example,
   * so that micro-batches of any size run the same implementation).
   */
  implementation: 'auto' | 'dense' | 'blocked';
  /** Middle query blocks per chunk of the blocked path; null: sized from the batch. */
  chunkBlocks: number | null;
  /**
   * 'clean': the layout above. 'lra': what LRA's code computes (bigbird-lra.ts): random blocks
   * drawn per head by numpy's generator seeded with the layer, only below token 1024 on long
   * sequences; a tail of zero vectors to whole blocks (a whole block when N is a multiple) that
   * counts as real; the reference's key sets for the second and second-last blocks; padded
   * queries zeroed; no attention dropout. Both implementations serve it.
   */
  impl: 'clean' | 'lra';
}

/**
 * For each query block, the sorted key blocks it attends to: all of them for the first and last
 * block; otherwise the band {i - 1, i, i + 1}, the globals {0, last} and up to `randomBlocks`
 * others drawn without replacement.
 */
export function bigBirdLayout(blocks: number, randomBlocks: number, random: UniformSource): number[][] {
  const all = Array.from({ length: blocks }, (_, i) => i);
  return all.map((i) => {
    if (i === 0 || i === blocks - 1) return all;
    const chosen = new Set([0, blocks - 1, i - 1, i, i + 1]);
    const rest = all.filter((j) => !chosen.has(j));
    for (let r = 0; r < randomBlocks && rest.length > 0; r++) {
      chosen.add(rest.splice(Math.floor(random() * rest.length), 1)[0]!);
    }
    return [...chosen].sort((a, b) => a - b);
  });
}

/** Dense softmax attention of query rows q [BH, M, d] over all keys kT [BH, d, N]. */
function denseRows(q: tf.Tensor3D, kT: tf.Tensor3D, v: tf.Tensor3D, keyBias: tf.Tensor3D, drop: (w: tf.Tensor) => tf.Tensor): tf.Tensor3D {
  return tf.matMul(drop(tf.softmax(tf.add(tf.matMul(q, kT), keyBias))) as tf.Tensor3D, v);
}

/**
 * Block-sparse attention over heads: q, k, v [BH, N, d] (q already scaled by 1/sqrt(d)),
 * realKeys [BH, N] (1 real, 0 padding), `layout` from bigBirdLayout for ceil(N / blockSize)
 * blocks.
 */
export function bigBirdAttentionHeads(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  realKeys: tf.Tensor2D,
  blockSize: number,
  layout: number[][],
  drop: (w: tf.Tensor) => tf.Tensor = (w) => w,
): tf.Tensor3D {
  return tf.tidy(() => {
    const { bh, length, d, block, blocks, padded, qP, kP, vP, realP } = padToBlocks(q, k, v, realKeys, blockSize, layout);
    const keyBias = tf.reshape(tf.mul(tf.sub(1, realP), MASKED_SCORE), [bh, 1, padded]) as tf.Tensor3D;
    const kT = tf.transpose(kP, [0, 2, 1]);

    const globalRows = (start: number): tf.Tensor3D =>
      denseRows(tf.slice(qP, [0, start, 0], [-1, block, -1]), kT, vP, keyBias, drop);
    const parts: tf.Tensor3D[] = [globalRows(0)];
    const middle = blocks - 2;
    if (middle > 0) {
      // Fixed-size key lists: unused slots point at block 0 and are masked.
      const { slots, indices, slotBias } = middleSlots(layout, block);
      const index = tf.tensor1d(indices, 'int32');
      // [BH, N, d] -> the key blocks of each middle query block, [BH*M, S*b, d].
      const gatherBlocks = (t: tf.Tensor3D): tf.Tensor3D =>
        tf.reshape(tf.gather(tf.reshape(t, [bh, blocks, block, d]), index, 1), [bh * middle, slots * block, d]);
      const keysGathered = gatherBlocks(kP);
      const valuesGathered = gatherBlocks(vP);
      const realGathered = tf.reshape(
        tf.gather(tf.reshape(realP, [bh, blocks, block]), index, 1),
        [bh, middle, 1, slots * block],
      );
      const bias = tf.add(
        tf.mul(tf.sub(1, realGathered), MASKED_SCORE),
        tf.tensor4d(slotBias, [1, middle, 1, slots * block]),
      );
      const queries = tf.reshape(tf.slice(qP, [0, block, 0], [-1, middle * block, -1]), [bh * middle, block, d]);
      const scores = tf.add(
        tf.reshape(tf.matMul(queries, tf.transpose(keysGathered, [0, 2, 1])), [bh, middle, block, slots * block]),
        bias,
      );
      const weights = drop(tf.softmax(scores));
      const mixed = tf.matMul(tf.reshape(weights, [bh * middle, block, slots * block]) as tf.Tensor3D, valuesGathered);
      parts.push(tf.reshape(mixed, [bh, middle * block, d]));
    }
    if (blocks > 1) parts.push(globalRows(padded - block));
    return tf.slice(tf.concat(parts, 1), [0, 0, 0], [bh, length, d]) as tf.Tensor3D;
  });
}

function createBigBird(args: MixerArgs, options: BigBirdOptions): Mixer {
  const layout = headLayout(args, options.qkvDim);
  const rotate = args.rope === true;
  const query = headProjection(args, 'query', layout, { rotate });
  const key = headProjection(args, 'key', layout, { rotate });
  const value = headProjection(args, 'value', layout);
  const output = outputProjection(args, layout);
  const layouts = new Map<number, number[][]>();
  const layoutFor = (blocks: number): number[][] => {
    let found = layouts.get(blocks);
    if (!found) {
      found = bigBirdLayout(blocks, options.randomBlocks, layerRandom(args, `bigbird/${blocks}`));
      layouts.set(blocks, found);
    }
    return found;
  };
  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      checkMask('bigbird', x, mask);
      return tf.tidy(() => {
        const [batch, length] = x.shape;
        const real = mask ?? tf.ones([batch, length]);
        const realKeys = tf.reshape(tf.tile(tf.reshape(real, [batch, 1, length]), [1, layout.heads, 1]), [
          batch * layout.heads,
          length,
        ]) as tf.Tensor2D;
        const blocks = Math.ceil(length / Math.min(options.blockSize, length));
        const q = tf.mul(query.heads(x), 1 / Math.sqrt(layout.headDim)) as tf.Tensor3D;
        const blockLayout = layoutFor(blocks);
        const slots = Math.max(1, ...blockLayout.slice(1, -1).map((keys) => keys.length));
        const middleBytesPerExample = layout.heads * length * slots * Math.min(options.blockSize, length) * 4;
        // The blocked path's gradients cannot be differentiated again (see planAttention).
        const nested = forwardIsNested();
        if (nested && options.implementation === 'blocked') throw new Error(`bigbird: implementation 'blocked' cannot be differentiated twice; use 'auto' or 'dense'`);
        const blocked = options.implementation === 'blocked' || (options.implementation === 'auto' && !nested && middleBytesPerExample > DENSE_WEIGHTS_PER_EXAMPLE_BYTES);
        let mixed: tf.Tensor3D;
        if (blocked) {
          // Seeds are drawn where the dense path's dropout() draws them, and only when it would.
          const rate = args.attentionDropout;
          const drawn = ctx.training && rate > 0 ? { rate, nextSeed: () => ctx.nextSeed(), rowOffset: (ctx.examples?.offset ?? 0) * layout.heads } : null;
          mixed = bigBirdBlockedHeads(q, key.heads(x), value.heads(x), realKeys, options.blockSize, blockLayout, { chunkBlocks: options.chunkBlocks, dropout: drawn, examples: batch });
        } else {
          const drop = (w: tf.Tensor): tf.Tensor => dropout(w, args.attentionDropout, ctx);
          mixed = bigBirdAttentionHeads(q, key.heads(x), value.heads(x), realKeys, options.blockSize, blockLayout, drop);
        }
        return output(mixed);
      });
    },
  };
}

export const bigbird: MixerSpec<BigBirdOptions> = {
  name: 'bigbird',
  title: 'BigBird (block-sparse attention: band, global and random blocks)',
  paper:
    'Zaheer, Guruganesh, Dubey, Ainslie, Alberti, Ontanon, Pham, Ravula, Wang, Yang and Ahmed, "Big Bird: Transformers for Longer Sequences", NeurIPS 2020',
  kind: 'attention',
  defaults: { qkvDim: null, blockSize: 64, randomBlocks: 3, implementation: 'auto', chunkBlocks: null, impl: 'clean' },
  choices: { implementation: ['auto', 'dense', 'blocked'], impl: ['clean', 'lra'] },
  rope: true,
  linearMemory: true,
  create: (args, options) => (options.impl === 'lra' ? createLraBigBird(args, options) : createBigBird(args, options)),
  validate(args, options) {
    if (!Number.isInteger(options.blockSize) || options.blockSize < 1) {
      return `blockSize must be a positive integer, got ${options.blockSize}`;
    }
    if (!Number.isInteger(options.randomBlocks) || options.randomBlocks < 0) {
      return `randomBlocks must be a non-negative integer, got ${options.randomBlocks}`;
    }
    if (options.chunkBlocks !== null && !(Number.isInteger(options.chunkBlocks) && options.chunkBlocks >= 1)) {
      return `chunkBlocks must be a positive integer or null, got ${options.chunkBlocks}`;
    }
    return headLayoutProblem(args, options.qkvDim) ?? (options.impl === 'lra' ? lraBigBirdProblem(args.seqLen, args.heads, options, args.layer) : null);
  },
};
