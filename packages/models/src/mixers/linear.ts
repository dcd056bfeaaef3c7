// Linear attention (Katharopoulos et al. 2020; idiap/fast-transformers): softmax(q.k) replaced by
// the kernel phi(q).phi(k) with phi = elu + 1, so keys and values are summarised once,
// phi(K)^T V [d, d], and each query reads that summary: O(N d^2) instead of O(N^2 d).
// As the reference code: no 1/sqrt(d) scaling, and 1e-6 added to the normaliser. There is no
// attention matrix, so attentionDropout does not apply. Rotary positions (encoder positions 'rope')
// rotate q and k before the feature map, which does not make phi(q).phi(k) relative.
//
// impl 'lra' is the Long Range Arena's own code (models/linear_transformer/linear_attention.py),
// the model behind the LRA paper's Table 1 row: the same elu + 1 kernel, eps 1e-6 and no
// attention dropout, but the padding mask is never applied, so padded keys enter the summary and
// the normaliser like real ones. It has no causal form (LRA's code ignores causal_mask).
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import {
  checkMask,
  headLayout,
  headLayoutProblem,
  headProjection,
  keyMaskPerHead,
  outputProjection,
} from './heads.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface LinearOptions {
  /** Width of queries, keys and values over all heads; null means dModel. */
  qkvDim: number | null;
  /** Each query sees only keys at or before its position (prefix sums of the summaries). */
  causal: boolean;
  /** 'clean' masks padded keys; 'lra' reproduces LRA's code, which attends to them too. */
  impl: 'clean' | 'lra';
}

// fast-transformers' eps: keeps the normaliser positive when every key is padding.
export const LINEAR_EPS = 1e-6;

/** phi(x) = elu(x) + 1 > 0. */
export function eluFeatureMap(x: tf.Tensor): tf.Tensor {
  return tf.add(tf.elu(x), 1);
}

/**
 * Linear attention over heads: q, k, v [BH, N, d] (unscaled), keyMask [BH, N, 1] or null.
 * Padded keys get phi(k) = 0, so they enter neither the summary nor the normaliser.
 */
export function linearAttentionHeads(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  keyMask: tf.Tensor3D | null,
  causal = false,
): tf.Tensor3D {
  return tf.tidy(() => {
    const phiQ = eluFeatureMap(q) as tf.Tensor3D;
    let phiK = eluFeatureMap(k) as tf.Tensor3D;
    if (keyMask) phiK = tf.mul(phiK, keyMask);
    return causal ? causalKernelAttention(phiQ, phiK, v, LINEAR_EPS) : kernelAttention(phiQ, phiK, v, LINEAR_EPS);
  });
}

/** phiQ (phiK^T V) / (phiQ . sum_j phiK_j + eps) for feature maps [BH, N, m] and values [BH, N, d]. */
export function kernelAttention(phiQ: tf.Tensor3D, phiK: tf.Tensor3D, v: tf.Tensor3D, eps: number): tf.Tensor3D {
  return tf.tidy(() => {
    const summary = tf.matMul(tf.transpose(phiK, [0, 2, 1]), v); // [BH, m, d]
    const keySum = tf.sum(phiK, 1, true); // [BH, 1, m]
    const numerator = tf.matMul(phiQ, summary);
    const normaliser = tf.add(tf.sum(tf.mul(phiQ, keySum), 2, true), eps);
    return tf.div(numerator, normaliser) as tf.Tensor3D;
  });
}

/**
 * Prefix sums along axis 1. tfjs 4.22's Cumsum gradient is only right along the last axis (it
 * returns the gradient transposed otherwise), so the axis is moved last and back.
 */
function prefixSums<T extends tf.Tensor>(x: T): T {
  const order = [0, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 2), 1];
  const inverse = [0, x.rank - 1, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 1)];
  return tf.transpose(tf.cumsum(tf.transpose(x, order), x.rank - 1), inverse) as T;
}

/**
 * The causal form: query i reads sum_{j <= i} phiK_j v_j^T. The prefix sums of the outer products
 * take [BH, N, m, d] memory, acceptable at the widths this project uses.
 */
export function causalKernelAttention(phiQ: tf.Tensor3D, phiK: tf.Tensor3D, v: tf.Tensor3D, eps: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [bh, n, m] = phiK.shape;
    const d = v.shape[2];
    const outer = tf.mul(tf.reshape(phiK, [bh, n, m, 1]), tf.reshape(v, [bh, n, 1, d]));
    const summaries = prefixSums(outer); // [BH, N, m, d]
    const keySums = prefixSums(phiK); // [BH, N, m]
    const numerator = tf.sum(tf.mul(tf.reshape(phiQ, [bh, n, m, 1]), summaries), 2);
    const normaliser = tf.add(tf.sum(tf.mul(phiQ, keySums), 2, true), eps);
    return tf.div(numerator, normaliser) as tf.Tensor3D;
  });
}

function createLinear(args: MixerArgs, options: LinearOptions): Mixer {
  const layout = headLayout(args, options.qkvDim);
  // Rotary positions (encoder positions 'rope') rotate q and k before the feature map.
  const rotate = args.rope === true;
  const query = headProjection(args, 'query', layout, { rotate });
  const key = headProjection(args, 'key', layout, { rotate });
  const value = headProjection(args, 'value', layout);
  const output = outputProjection(args, layout);
  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, _ctx: ForwardContext): tf.Tensor3D {
      checkMask('linear', x, mask);
      return tf.tidy(() => {
        const keyMask = mask && options.impl !== 'lra' ? keyMaskPerHead(mask, layout.heads) : null;
        const mixed = linearAttentionHeads(query.heads(x), key.heads(x), value.heads(x), keyMask, options.causal);
        return output(mixed);
      });
    },
  };
}

export const linear: MixerSpec<LinearOptions> = {
  name: 'linear',
  title: 'Linear Transformer (elu + 1 kernel attention)',
  paper:
    'Katharopoulos, Vyas, Pappas and Fleuret, "Transformers are RNNs: Fast Autoregressive Transformers with Linear Attention", ICML 2020',
  kind: 'attention',
  defaults: { qkvDim: null, causal: false, impl: 'clean' },
  choices: { impl: ['clean', 'lra'] },
  rope: true,
  create: createLinear,
  validate(args, options) {
    if (options.impl === 'lra' && options.causal) return "impl 'lra' has no causal form: LRA's linear attention ignores causal_mask";
    return headLayoutProblem(args, options.qkvDim);
  },
};
