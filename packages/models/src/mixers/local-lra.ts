// Local attention as the Long Range Arena's code computes it (models/local/local_attention.py),
// the model behind the LRA paper's Table 1 row. It is not a sliding window:
// - The sequence is padded with zero tokens to N' = N + blockSize - (N mod blockSize) (a whole
//   extra block when N is a multiple already) and viewed as [blockSize, N' / blockSize]: with
//   G = N' / blockSize groups, group j holds positions j, j + G, j + 2G, ... and each query
//   attends to the blockSize keys of its own group (strided groups, not neighbours).
// - The padding mask is cut into groups the other way, contiguously: query p and key q of group
//   j are masked by the mask of positions j blockSize + p and j blockSize + q (both must be
//   real). The extra positions count as real (LRA pads its boolean mask with True), so real
//   queries attend to the zero keys and values added there.
// - A masked score gets -1e10 added (flax's attention bias): a query whose whole row is masked
//   attends uniformly to its group, as in float32 the scores vanish next to -1e10.
// - Queries are scaled by 1 / sqrt(d); attention dropout drops each weight independently.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { dense, type Dense } from '../nn/dense.js';
import { dropout } from '../nn/dropout.js';
import { xavierUniform } from '../nn/initializers.js';
import type { Mixer, MixerArgs } from './types.js';

/** flax's attention bias for a masked score. */
export const LRA_MASKED_SCORE = -1e10;

/** The padded length N' LRA's local attention works on: always at least one extra position. */
export function lraLocalPaddedLength(length: number, blockSize: number): number {
  return length + blockSize - (length % blockSize);
}

export interface LocalLraOptions {
  blockSize: number;
  /** LRA's qkv_dim: the width of queries, keys and values; null: dModel. */
  qkvDim: number | null;
}

export function createLocalLra(args: MixerArgs, options: LocalLraOptions): Mixer {
  const { dModel, heads } = args;
  const qkv = options.qkvDim ?? dModel;
  const headDim = qkv / heads;
  const size = options.blockSize;
  const init = { bias: false, kernelInit: xavierUniform() };
  const project = (name: string): Dense => dense(args.params, name, { inputDim: dModel, units: qkv, ...init });
  const query = project('query');
  const key = project('key');
  const value = project('value');
  const output = dense(args.params, 'output', { inputDim: qkv, units: dModel, ...init });

  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      const [batch, length] = x.shape;
      if (mask && (mask.shape[0] !== batch || mask.shape[1] !== length)) {
        throw new Error(`local: mask shape [${mask.shape}] does not match input [${batch}, ${length}]`);
      }
      const padded = lraLocalPaddedLength(length, size);
      const groups = padded / size;
      return tf.tidy(() => {
        // Projections have no bias, so projecting before padding gives the zero rows LRA's
        // projected zero tokens are.
        const pad = (t: tf.Tensor3D) => tf.pad(t, [[0, 0], [0, padded - length], [0, 0]]);
        // Position i G + j is member i of group j: [B, size, G, H, dh] -> [B, G, H, ...].
        const grouped = (t: tf.Tensor3D, order: number[]) => tf.transpose(tf.reshape(pad(t), [batch, size, groups, heads, headDim]), order);
        const q3 = tf.reshape(grouped(tf.mul(query.apply(x), 1 / Math.sqrt(headDim)), [0, 2, 3, 1, 4]), [batch * groups * heads, size, headDim]);
        const kT3 = tf.reshape(grouped(key.apply(x), [0, 2, 3, 4, 1]), [batch * groups * heads, headDim, size]);
        const v3 = tf.reshape(grouped(value.apply(x), [0, 2, 3, 1, 4]), [batch * groups * heads, size, headDim]);
        // The mask in contiguous chunks [B, G, size], the extra positions real.
        const real = tf.reshape(tf.pad(mask ?? tf.ones([batch, length]), [[0, 0], [0, padded - length]], 1), [batch, groups, size]);
        const pairs = tf.mul(tf.reshape(real, [batch, groups, size, 1]), tf.reshape(real, [batch, groups, 1, size]));
        const bias = tf.reshape(tf.mul(tf.sub(1, pairs), LRA_MASKED_SCORE), [batch, groups, 1, size, size]);
        const scores = tf.add(tf.reshape(tf.matMul(q3 as tf.Tensor3D, kT3 as tf.Tensor3D), [batch, groups, heads, size, size]), bias);
        const probabilities = tf.softmax(tf.reshape(scores, [batch * groups * heads, size, size]));
        const weights = dropout(probabilities, args.attentionDropout, ctx) as tf.Tensor3D;
        const mixed = tf.reshape(tf.matMul(weights, v3 as tf.Tensor3D), [batch, groups, heads, size, headDim]);
        const positions = tf.reshape(tf.transpose(mixed, [0, 3, 1, 2, 4]), [batch, padded, qkv]);
        return output.apply(tf.slice(positions, [0, 0, 0], [batch, length, qkv]) as tf.Tensor3D);
      });
    },
  };
}
