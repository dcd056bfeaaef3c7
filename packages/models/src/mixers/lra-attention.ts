// What the mixers ported from the Long Range Arena's own code share: its masks are boolean
// [query, key] patterns turned into an additive bias of -1e10 (not the -1e9 of ./attention.ts),
// padding masks both the padded keys and the padded queries, and softmax attention scales the
// queries by 1/sqrt(d) before the product. A row whose keys are all masked then has equal scores
// (in float32, score - 1e10 rounds to -1e10), so a padded query averages every value, as LRA's does.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { dropout } from '../nn/dropout.js';

/** LRA's bias on a masked (query, key) pair. */
export const LRA_MASKED_BIAS = -1e10;

/** allowed (1 or 0, any shape) -> 0 where allowed, -1e10 where not. */
export function maskedBias(allowed: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.sub(1, allowed), LRA_MASKED_BIAS));
}

/** Padding mask [B, N] -> [B, 1, N, N]: 1 where query and key are both real (flax's make_padding_mask). */
export function paddingPairs(mask: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, length] = mask.shape;
    return tf.mul(tf.reshape(mask, [batch, 1, length, 1]), tf.reshape(mask, [batch, 1, 1, length])) as tf.Tensor4D;
  });
}

export interface SoftmaxAttentionInputs {
  /** [B*H, Nq, d], not yet scaled. */
  q: tf.Tensor3D;
  /** [B*H, Nk, d]. */
  k: tf.Tensor3D;
  /** [B*H, Nk, d]. */
  v: tf.Tensor3D;
  heads: number;
  /** Added to the scores, broadcast against [B, H, Nq, Nk]; null for none. */
  bias: tf.Tensor | null;
  /** Further scores (the Synthesizer's synthetic weights), broadcast against [B, H, Nq, Nk]. */
  extraScores?: tf.Tensor | null;
  /** Dropout on the weights (LRA: attention_dropout_rate, not broadcast over batch and heads). */
  dropoutRate: number;
}

/** softmax(q k^T / sqrt(d) + extra + bias) v: [B*H, Nq, d]. Call inside tf.tidy. */
export function lraSoftmaxAttention(inputs: SoftmaxAttentionInputs, ctx: ForwardContext): tf.Tensor3D {
  const { q, k, v, heads } = inputs;
  const [batchHeads, queries, depth] = q.shape;
  const keys = k.shape[1];
  const batch = batchHeads / heads;
  const scaled = tf.div(q, Math.sqrt(depth));
  // Keys transposed first: wasm's product with transposeB is slow at small head widths.
  let scores: tf.Tensor = tf.reshape(tf.matMul(scaled, tf.transpose(k, [0, 2, 1])), [batch, heads, queries, keys]);
  if (inputs.extraScores) scores = tf.add(scores, inputs.extraScores);
  if (inputs.bias) scores = tf.add(scores, inputs.bias);
  const weights = tf.softmax(tf.reshape(scores, [batchHeads, queries, keys])) as tf.Tensor3D;
  return tf.matMul(dropout(weights, inputs.dropoutRate, ctx), v);
}
