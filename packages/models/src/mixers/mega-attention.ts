// Mega's single-head attention (facebookresearch/mega moving_average_gated_attention.py), over the
// whole sequence or within non-overlapping chunks (chunkSize > 0: the sequence is cut into chunks
// of chunkSize positions, each attending only within itself; a ragged tail is padded with masked
// positions, as the reference's LRA encoder pads its tokens to a multiple of the chunk size).
// - 'softmax': softmax(q k^T / sqrt(z) + bias), padded keys at -inf, unless every key of the
//   chunk is padding (then nothing is masked, as the reference).
// - 'laplace': laplace(q k^T / n + bias) with n the number of real keys of the chunk (at least
//   1), padded keys weighted 0; laplace(x) = 0.5 (1 + erf((x - mu) / (sigma sqrt 2))) with
//   mu = sqrt(1/2), sigma = sqrt(1 / (4 pi)): the reference's constants.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { dropout } from '../nn/dropout.js';
import { MASKED_SCORE } from './attention.js';
import type { RelativePositionBias } from './mega-positions.js';

export type MegaAttentionActivation = 'softmax' | 'laplace';

export const LAPLACE_MU = 0.707107;
export const LAPLACE_SIGMA = 0.282095;

/** 0.5 (1 + erf((x - mu) / (sigma sqrt 2))), the reference's utils.laplace. */
export function laplace<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(tf.add(tf.erf(tf.div(tf.sub(x, LAPLACE_MU), LAPLACE_SIGMA * Math.SQRT2)), 1), 0.5) as T);
}

/** The chunk length at sequence length L: chunkSize when chunking applies, else L. */
export function megaChunkLength(length: number, chunkSize: number): number {
  return chunkSize > 0 && length > chunkSize ? chunkSize : length;
}

export interface MegaAttentionOptions {
  chunkSize: number;
  activation: MegaAttentionActivation;
  positions: RelativePositionBias;
  attentionDropout: number;
}

/** Pads axis 1 of t [B, L, ...] with `extra` zeros at the end. */
function padPositions<T extends tf.Tensor>(t: T, extra: number): T {
  if (extra === 0) return t;
  const pads = t.shape.map((): [number, number] => [0, 0]);
  pads[1] = [0, extra];
  return tf.pad(t, pads) as T;
}

/**
 * The attention weights [B*K, C, C] of q, k [B, L, z] over K chunks of C positions (L padded to
 * K C), before dropout. mask [B, L] (1 = real) or null. Call inside tf.tidy.
 */
export function megaAttentionWeights(q: tf.Tensor3D, k: tf.Tensor3D, mask: tf.Tensor2D | null, options: MegaAttentionOptions): tf.Tensor3D {
  const [batch, length, zDim] = q.shape;
  const chunk = megaChunkLength(length, options.chunkSize);
  const chunks = Math.ceil(length / chunk);
  const extra = chunks * chunk - length;
  // A ragged tail is padding the caller did not mark: mark it.
  const keyMask = mask || extra > 0 ? padPositions(mask ?? tf.ones([batch, length]), extra) : null;
  const q3 = tf.reshape(padPositions(q, extra), [batch * chunks, chunk, zDim]);
  // Keys laid out transposed, so Q K^T needs no transposeB (slow on wasm with small widths).
  const kT3 = tf.transpose(tf.reshape(padPositions(k, extra), [batch * chunks, chunk, zDim]), [0, 2, 1]);
  const bias = options.positions.bias(chunk);
  const keys = keyMask ? (tf.reshape(keyMask, [batch * chunks, 1, chunk]) as tf.Tensor3D) : null;
  if (options.activation === 'softmax') {
    let scores: tf.Tensor = tf.add(tf.matMul(tf.mul(q3, 1 / Math.sqrt(zDim)), kT3), bias);
    if (keys) {
      const chunkHasRealKey = tf.max(keys, 2, true);
      scores = tf.add(scores, tf.mul(tf.mul(tf.sub(1, keys), MASKED_SCORE), chunkHasRealKey));
    }
    return tf.softmax(scores) as tf.Tensor3D;
  }
  const realKeys = keys ? tf.maximum(tf.sum(keys, 2, true), 1) : chunk;
  const weights = laplace(tf.add(tf.div(tf.matMul(q3, kT3), realKeys), bias));
  return (keys ? tf.mul(weights, keys) : weights) as tf.Tensor3D;
}

/** The attention's output [B, L, E] for values v [B, L, E]. Call inside tf.tidy. */
export function megaAttention(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  mask: tf.Tensor2D | null,
  options: MegaAttentionOptions,
  ctx: ForwardContext,
): tf.Tensor3D {
  const [batch, length] = q.shape;
  const width = v.shape[2];
  const chunk = megaChunkLength(length, options.chunkSize);
  const chunks = Math.ceil(length / chunk);
  const weights = dropout(megaAttentionWeights(q, k, mask, options), options.attentionDropout, ctx);
  const v3 = tf.reshape(padPositions(v, chunks * chunk - length), [batch * chunks, chunk, width]) as tf.Tensor3D;
  const mixed = tf.reshape(tf.matMul(weights, v3), [batch, chunks * chunk, width]);
  return tf.slice(mixed, [0, 0, 0], [batch, length, width]) as tf.Tensor3D;
}
