// Softmax attention through the fused wasm kernels (backend/fused/fused-attention.ts): the same
// values and gradients as the dense path (scores, key bias, softmax, dropout on the weights, the
// weighted values), with no [B*H, N, N] tensor. The dropout mask is the dense path's own.
import * as tf from '@tensorflow/tfjs';
import { FUSED_ATTENTION_KERNEL, type FusedAttentionAttrs } from '../backend/fused/fused-attention.js';

export interface FusedAttentionOptions {
  /** Heads per example: q3's first axis is examples x heads. */
  heads: number;
  /** Dropout on the weights (training), drawn where the dense path's dropout draws its seed; null: none. */
  dropout: { rate: number; seed: number; exampleOffset: number } | null;
}

const roundUp8 = (value: number): number => Math.ceil(value / 8) * 8;

/**
 * softmax(q k^T + bias) v per head: q3 [B*H, N, d] (already scaled), kT3 [B*H, d, N], v3
 * [B*H, N, d], keyBias [B, N] added to every query's scores (null: none). The kernels take N and
 * d in multiples of 8 (their products' tiles): other sizes are padded here, queries and values
 * with zeros, keys with zeros and a key bias of -Infinity (weight exactly 0, even in a row whose
 * real keys are all masked: those keep the dense path's uniform weights), and the output cut back.
 * LRA's ListOps (2001 tokens) pads to 2008.
 */
export function fusedAttention(q3: tf.Tensor3D, kT3: tf.Tensor3D, v3: tf.Tensor3D, keyBias: tf.Tensor2D | null, opts: FusedAttentionOptions): tf.Tensor3D {
  const [bh, n, d] = q3.shape;
  const [n8, d8] = [roundUp8(n), roundUp8(d)];
  const drop = opts.dropout !== null && opts.dropout.rate > 0 ? opts.dropout : null;
  const attrs: FusedAttentionAttrs = {
    heads: opts.heads, rate: drop?.rate ?? 0, seed: drop?.seed ?? 0, exampleOffset: drop?.exampleOffset ?? 0,
    biased: keyBias === null && n8 === n ? 0 : 1, dropoutN: n,
  };
  return tf.tidy(() => {
    let [q, kT, v] = [q3, kT3, v3] as tf.Tensor3D[];
    let bias: tf.Tensor = keyBias ?? tf.zeros([1]);
    if (n8 !== n || d8 !== d) {
      q = tf.pad(q3, [[0, 0], [0, n8 - n], [0, d8 - d]]);
      kT = tf.pad(kT3, [[0, 0], [0, d8 - d], [0, n8 - n]]);
      v = tf.pad(v3, [[0, 0], [0, n8 - n], [0, d8 - d]]);
    }
    if (n8 !== n) {
      const examples = bh / opts.heads;
      bias = tf.concat([keyBias ?? tf.zeros([examples, n]), tf.fill([examples, n8 - n], Number.NEGATIVE_INFINITY)], 1);
    }
    const [out] = tf.engine().runKernel(FUSED_ATTENTION_KERNEL, { q, kT, v, bias }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return (n8 === n && d8 === d ? out : tf.slice(out!, [0, 0, 0], [bh, n, d])) as tf.Tensor3D;
  });
}
