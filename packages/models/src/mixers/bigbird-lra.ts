// BigBird as LRA's code computes it (models/bigbird/bigbird_attention.py, the sparse path its
// BigBirdBlock takes): the bigbird's impl 'lra'. What differs from the clean one (bigbird.ts):
//
// - The sequence gets block - (N mod block) zero vectors at its end (a whole block when N is
//   already a multiple), and the padding mask is padded with -1e9 on a boolean array: the tail
//   counts as real. Its keys and values are zero (no bias), so each takes a share of the softmax.
// - Random blocks are drawn per head by numpy's global RandomState seeded with the layer index
//   (BigBirdEncoder passes connectivity_seed=lyr), with the reference's rules: query block i
//   draws r blocks, without replacement, from blocks 1 .. last that are not its band, where
//   last = N/b - 1, or 1024/b - 1 beyond 1024 tokens (only blocks below token 1024 are drawn),
//   plus the reference's special cases for the first two and last two middle blocks. The draws
//   are reproduced with numpy's generator (nn/numpy-random-state.ts), so they are LRA's own.
//   Where fewer than r candidates remain the reference fails (or repeats a lone block): refused.
// - Each query block sees: the first and last block all keys; the second [0, 1, 2, last] and
//   its random blocks; the second-last [0, N/b-3, N/b-2, last] and its random blocks; the
//   others the first block, the 3-block band, their random blocks and the last block.
// - Padded queries' rows are zeroed (context * mask) before the output projection.
// - No attention dropout (the sparse path takes no dropout rate). Masked keys get -1e4 in the
//   reference, -1e9 here: a real query always sees itself, so both weigh masked keys
//   exp(-1e4) = 0 in float32; rows whose keys are all masked belong to padded queries, zeroed.
//
// Each head runs the clean implementation's block-sparse attention with its own layout, so the
// dense and the blocked paths both serve (the same rule picks one).
import * as tf from '@tensorflow/tfjs';
import { forwardIsNested } from '../backend/fused/higher-order.js';
import type { ForwardContext } from '../nn/context.js';
import { NumpyRandomState } from '../nn/numpy-random-state.js';
import { DENSE_WEIGHTS_PER_EXAMPLE_BYTES } from './attention-plan.js';
import { bigBirdAttentionHeads } from './bigbird.js';
import { bigBirdBlockedHeads } from './bigbird-blocked.js';
import { checkMask, headLayout, headProjection, outputProjection } from './heads.js';
import type { Mixer, MixerArgs } from './types.js';

/** Tokens below which the reference draws random blocks once sequences are longer. */
const RANDOM_BLOCKS_BELOW = 1024;

/** The padded length: block - (n mod block) more positions, between 1 and block. */
export function lraBigBirdPaddedLength(length: number, block: number): number {
  return length + block - (length % block);
}

/**
 * The random key blocks of query blocks 1 .. blocks - 2 of one head, [blocks - 2][r], drawn from
 * `random` as the reference's get_block_rand_mask draws them for a padded length `length`.
 */
export function lraRandomBlocksOfHead(length: number, block: number, r: number, random: NumpyRandomState): number[][] {
  const blocks = Math.floor(length / block);
  const pool = Array.from({ length: Math.max(0, blocks - 2) }, (_, i) => i + 1);
  const lastIndex = Math.min(length, RANDOM_BLOCKS_BELOW);
  const last = lastIndex > 2 * block ? Math.floor(lastIndex / block) - 1 : blocks - 1;
  // Python slicing: bounds clamp, negative ends count from the end.
  const slice = (from: number, to: number): number[] => pool.slice(from, to < 0 ? Math.max(0, pool.length + to) : to);
  const rows: number[][] = [];
  for (let i = 1; i < blocks - 1; i++) {
    const start = i - 2;
    const end = i;
    let candidates: number[];
    if (i === 1) candidates = slice(2, last);
    else if (i === 2) candidates = slice(3, last);
    else if (i === blocks - 3) candidates = slice(0, last - 4);
    else if (i === blocks - 2) candidates = slice(0, last - 3);
    else if (start > last) candidates = slice(0, last);
    else if (end + 1 === last) candidates = slice(0, start);
    else candidates = [...slice(0, start), ...slice(end + 1, last)];
    const drawn = random.permutation(candidates).slice(0, r);
    if (drawn.length < r) {
      throw new Error(
        `bigbird impl 'lra': query block ${i} of ${blocks} (length ${length}, block ${block}) has ${candidates.length} candidate blocks for ${r} random ones; LRA's code cannot draw them`,
      );
    }
    rows.push(drawn);
  }
  return rows;
}

/** Every head's random blocks, [heads][blocks - 2][r], from numpy.random.seed(seed) as the reference draws them. */
export function lraRandomBlocks(length: number, block: number, r: number, heads: number, seed: number): number[][][] {
  const random = new NumpyRandomState(seed);
  return Array.from({ length: heads }, () => lraRandomBlocksOfHead(length, block, r, random));
}

/** For each query block, the key blocks it attends to (sorted), given one head's random blocks. */
export function lraBigBirdLayout(blocks: number, random: number[][]): number[][] {
  if (blocks < 4) throw new Error(`bigbird impl 'lra' needs at least 4 blocks (the reference's layout), got ${blocks}`);
  const all = Array.from({ length: blocks }, (_, i) => i);
  const last = blocks - 1;
  return all.map((i) => {
    let keys: number[];
    if (i === 0 || i === last) keys = all;
    else if (i === 1) keys = [0, 1, 2, last, ...random[0]!];
    else if (i === last - 1) keys = [0, last - 2, last - 1, last, ...random[last - 2]!];
    else keys = [0, i - 1, i, i + 1, ...random[i - 1]!, last];
    const sorted = [...new Set(keys)].sort((a, b) => a - b);
    if (sorted.length !== keys.length) throw new Error(`bigbird impl 'lra': query block ${i} would see a key block twice`);
    return sorted;
  });
}

export interface LraBigBirdOptions {
  /** Width of queries, keys and values over all heads (LRA's qkv_dim); null means dModel. */
  qkvDim: number | null;
  blockSize: number;
  randomBlocks: number;
  implementation: 'auto' | 'dense' | 'blocked';
  chunkBlocks: number | null;
}

/** Why the reference could not run this length (too few blocks, too few random candidates), or null. */
export function lraBigBirdProblem(length: number, heads: number, options: LraBigBirdOptions, seed: number): string | null {
  const padded = lraBigBirdPaddedLength(length, options.blockSize);
  try {
    lraRandomBlocks(padded, options.blockSize, options.randomBlocks, heads, seed).forEach((random) => lraBigBirdLayout(padded / options.blockSize, random));
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The bigbird's impl 'lra'; random blocks from numpy's generator seeded with `seed` (default: the layer index). */
export function createLraBigBird(args: MixerArgs, options: LraBigBirdOptions, seed = args.layer): Mixer {
  const layout = headLayout(args, options.qkvDim);
  const rotate = args.rope === true;
  const query = headProjection(args, 'query', layout, { rotate });
  const key = headProjection(args, 'key', layout, { rotate });
  const value = headProjection(args, 'value', layout);
  const output = outputProjection(args, layout);
  const block = options.blockSize;
  const layouts = new Map<number, number[][][]>();
  const layoutsFor = (padded: number): number[][][] => {
    let found = layouts.get(padded);
    if (!found) {
      const random = lraRandomBlocks(padded, block, options.randomBlocks, layout.heads, seed);
      found = random.map((headRandom) => lraBigBirdLayout(padded / block, headRandom));
      layouts.set(padded, found);
    }
    return found;
  };
  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, _ctx: ForwardContext): tf.Tensor3D {
      checkMask('bigbird', x, mask);
      const [batch, length] = x.shape;
      const padded = lraBigBirdPaddedLength(length, block);
      const headLayouts = layoutsFor(padded);
      const slots = Math.max(...headLayouts.flatMap((l) => l.slice(1, -1).map((keys) => keys.length)), 1);
      const middleBytesPerExample = layout.heads * padded * slots * block * 4;
      const nested = forwardIsNested();
      if (nested && options.implementation === 'blocked') throw new Error(`bigbird: implementation 'blocked' cannot be differentiated twice; use 'auto' or 'dense'`);
      const blocked = options.implementation === 'blocked' || (options.implementation === 'auto' && !nested && middleBytesPerExample > DENSE_WEIGHTS_PER_EXAMPLE_BYTES);
      return tf.tidy(() => {
        const tail = padded - length;
        const xP = tf.pad(x, [[0, 0], [0, tail], [0, 0]]);
        // The appended tail is real; padded tokens are not.
        const real = tf.pad(mask ?? tf.ones([batch, length]), [[0, 0], [0, tail]], 1) as tf.Tensor2D;
        const perHead = (t: tf.Tensor3D): tf.Tensor4D => tf.reshape(t, [batch, layout.heads, padded, layout.headDim]);
        const q = perHead(tf.mul(query.heads(xP), 1 / Math.sqrt(layout.headDim)) as tf.Tensor3D);
        const k = perHead(key.heads(xP));
        const v = perHead(value.heads(xP));
        const head = (t: tf.Tensor4D, h: number): tf.Tensor3D => tf.reshape(tf.slice(t, [0, h, 0, 0], [-1, 1, -1, -1]), [batch, padded, layout.headDim]);
        const heads = headLayouts.map((headLayoutBlocks, h) =>
          blocked
            ? bigBirdBlockedHeads(head(q, h), head(k, h), head(v, h), real, block, headLayoutBlocks, { chunkBlocks: options.chunkBlocks, dropout: null, examples: batch })
            : bigBirdAttentionHeads(head(q, h), head(k, h), head(v, h), real, block, headLayoutBlocks),
        );
        const mixed = tf.reshape(tf.stack(heads, 1), [batch * layout.heads, padded, layout.headDim]) as tf.Tensor3D;
        const queryMask = tf.reshape(tf.tile(tf.reshape(real, [batch, 1, padded, 1]), [1, layout.heads, 1, 1]), [batch * layout.heads, padded, 1]);
        const projected = output(tf.mul(mixed, queryMask) as tf.Tensor3D);
        return tf.slice(projected, [0, 0, 0], [batch, length, args.dModel]) as tf.Tensor3D;
      });
    },
  };
}
