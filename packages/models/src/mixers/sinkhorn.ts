// Sinkhorn Transformer attention (Tay et al. 2020) as the Long Range Arena's code runs it
// (lra_benchmarks/models/sinkhorn_transformer/sinkhorn_attention.py, block_size 50,
// max_num_blocks 25, sort_activation 'softmax': LRA's encoder passes no other, so no Sinkhorn
// iterations run). What that code computes, read exactly:
// - Its "blocks" are strided groups: [B, N, ...] is reshaped to [B, S = block_size, G = N / S, ...],
//   so group g holds positions g, g + G, g + 2G, ...; each group attends within itself.
// - The sort net (keys summed over a group -> Dense(d -> 25) -> softmax over the first G) makes
//   a [B, G, H, G] "permutation", but the einsum 'bskhd,bnhl->bsnhd' sums k and l separately:
//   the sorted key of slot s in every group is the sum of the keys at positions s G .. s G + G - 1
//   (a contiguous chunk), times the permutation's row sum, which is 1. The sort net thus changes
//   nothing but rounding, and its gradient is zero up to rounding.
// - The padding mask is cut into contiguous chunks of S (not strided groups): group g's pairs
//   are masked by chunk g's padding. The sorted path's mask allows slots (s, j) when some chunk
//   has both its s-th and j-th positions real. Padded tokens therefore reach real outputs.
// LRA's code cannot reshape a length that is not a multiple of the block size (such as 2001, a
// CLS token and 2000 tokens); here such an input is extended at the end with zero vectors marked
// as padding (their keys and values are zero: the projections have no bias) to the next
// multiple, and the output cut back. At multiples of the block size nothing is added.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { dense } from '../nn/dense.js';
import { normal, xavierUniform } from '../nn/initializers.js';
import { checkMask, headLayout, headLayoutProblem } from './heads.js';
import { lraSoftmaxAttention, maskedBias } from './lra-attention.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface SinkhornOptions {
  /** Width of queries, keys and values over all heads (LRA's qkv_dim); null means dModel. */
  qkvDim: number | null;
  /** Positions per group S (LRA: 50); other lengths are extended to a multiple of it. */
  blockSize: number;
  /** Outputs of the sort net, cut to the number of groups (LRA: 25). */
  maxNumBlocks: number;
  /** Implementation followed: LRA's code (the only one). */
  impl: 'lra';
}

function createSinkhorn(args: MixerArgs, options: SinkhornOptions): Mixer {
  const layout = headLayout(args, options.qkvDim);
  const { heads, headDim, width } = layout;
  const init = { bias: false, kernelInit: xavierUniform(), biasInit: normal(1e-6) };
  const query = dense(args.params, 'query', { inputDim: args.dModel, units: width, ...init });
  const key = dense(args.params, 'key', { inputDim: args.dModel, units: width, ...init });
  const value = dense(args.params, 'value', { inputDim: args.dModel, units: width, ...init });
  const sort = dense(args.params, 'sort', { inputDim: headDim, units: options.maxNumBlocks, ...init });
  const output = dense(args.params, 'output', { inputDim: width, units: args.dModel, ...init });
  const S = options.blockSize;

  /** LRA's computation on x [B, N, D] with N a multiple of S. Call inside tf.tidy. */
  const mixBlocks = (x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D => {
    const [batch, length] = x.shape;
    const G = length / S;
    /** [B, N, W] -> [B*G*H, S, d]: position s G + g is slot s of group g. */
    const toGroups = (t: tf.Tensor): tf.Tensor3D =>
      tf.reshape(tf.transpose(tf.reshape(t, [batch, S, G * heads, headDim]), [0, 2, 1, 3]), [batch * G * heads, S, headDim]);
    const fromGroups = (t: tf.Tensor): tf.Tensor3D =>
      tf.reshape(tf.transpose(tf.reshape(t, [batch, G * heads, S, headDim]), [0, 2, 1, 3]), [batch, length, width]);
    const k = key.apply(x);
    const v = value.apply(x);
    const q = toGroups(query.apply(x));

    // The sort net's row sums [B, G, H, 1]: keys summed over each group's S slots.
    const groupKeys = tf.reshape(tf.sum(tf.reshape(k, [batch, S, G, width]), 1), [batch, G, heads, headDim]);
    const logits = sort.apply(groupKeys);
    const used = Math.min(G, options.maxNumBlocks);
    const permutation = tf.softmax(tf.slice(logits, [0, 0, 0, 0], [batch, G, heads, used]));
    const rowSums = tf.sum(permutation, 3, true);
    /** [B, N, W] -> sorted [B*G*H, S, d]: slot s holds the sum of chunk s, scaled per group. */
    const sorted = (t: tf.Tensor): tf.Tensor3D => {
      const chunkSums = tf.reshape(tf.sum(tf.reshape(t, [batch, S, G, width]), 2), [batch, S, heads, headDim]);
      const perHead = tf.reshape(tf.transpose(chunkSums, [0, 2, 1, 3]), [batch, 1, heads, S * headDim]);
      return tf.reshape(tf.mul(perHead, rowSums), [batch * G * heads, S, headDim]);
    };

    let localBias: tf.Tensor | null = null;
    let sortedBias: tf.Tensor | null = null;
    if (mask) {
      // Chunk m = positions m S .. m S + S - 1 masks the pairs of group m.
      const chunks = tf.reshape(mask, [batch * G, S]);
      localBias = maskedBias(tf.reshape(tf.mul(tf.reshape(chunks, [batch * G, S, 1]), tf.reshape(chunks, [batch * G, 1, S])), [batch * G, 1, S, S]));
      const byChunk = tf.reshape(mask, [batch, G, S]);
      const anyChunk = tf.greater(tf.matMul(byChunk, byChunk, true, false), 0);
      sortedBias = maskedBias(tf.reshape(tf.tile(tf.reshape(tf.cast(anyChunk, 'float32'), [batch, 1, S * S]), [1, G, 1]), [batch * G, 1, S, S]));
    }
    const local = lraSoftmaxAttention({ q, k: toGroups(k), v: toGroups(v), heads, bias: localBias, dropoutRate: args.attentionDropout }, ctx);
    const fromSorted = lraSoftmaxAttention({ q, k: sorted(k), v: sorted(v), heads, bias: sortedBias, dropoutRate: args.attentionDropout }, ctx);
    return output.apply(fromGroups(tf.add(local, fromSorted)));
  };

  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      checkMask('sinkhorn', x, mask);
      const [batch, given] = x.shape;
      return tf.tidy(() => {
        const extended = extendToBlocks(x, mask, Math.ceil(given / S) * S);
        return tf.slice(mixBlocks(extended.x, extended.mask, ctx), [0, 0, 0], [batch, given, args.dModel]);
      });
    },
  };
}

/**
 * x and mask extended at the end to `length` with zero vectors marked as padding; unchanged (a
 * null mask staying null) when x already has that length.
 */
function extendToBlocks(x: tf.Tensor3D, mask: tf.Tensor2D | null, length: number): { x: tf.Tensor3D; mask: tf.Tensor2D | null } {
  const [batch, given] = x.shape;
  if (given === length) return { x, mask };
  const extra = length - given;
  const real = mask ?? tf.ones([batch, given]);
  return { x: tf.pad(x, [[0, 0], [0, extra], [0, 0]]), mask: tf.pad(real, [[0, 0], [0, extra]]) as tf.Tensor2D };
}

export const sinkhorn: MixerSpec<SinkhornOptions> = {
  name: 'sinkhorn',
  title: 'Sinkhorn Transformer (LRA code)',
  paper: 'Tay, Bahri, Yang, Metzler and Juan, "Sparse Sinkhorn Attention", ICML 2020 (as run in Tay et al., LRA, ICLR 2021)',
  kind: 'attention',
  defaults: { blockSize: 50, maxNumBlocks: 25, qkvDim: null, impl: 'lra' },
  choices: { impl: ['lra'] },
  create: createSinkhorn,
  validate(args, options) {
    if (!Number.isInteger(options.blockSize) || options.blockSize < 1) return `blockSize must be a positive integer, got ${options.blockSize}`;
    if (!Number.isInteger(options.maxNumBlocks) || options.maxNumBlocks < 1) {
      return `maxNumBlocks must be a positive integer, got ${options.maxNumBlocks}`;
    }
    return headLayoutProblem(args, options.qkvDim);
  },
};
