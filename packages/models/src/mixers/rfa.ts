// Random Feature Attention (Peng et al. 2021): random Fourier features of a Gaussian kernel.
// With w ~ N(0, sigma^2 I), E[cos(w.(x - y))] = exp(-sigma^2 |x - y|^2 / 2), so
// phi(x) = D^{-1/2} [sin(W x), cos(W x)] (D random rows) makes phi(x).phi(y) its estimate.
// With queries and keys L2-normalised, |q - k|^2 = 2 - 2 q.k, so the kernel is proportional to
// exp(sigma^2 q.k): softmax attention with temperature 1 / sigma^2.
//
// sigma: learned per head and channel (W = sigma * eps with eps ~ N(0, I), so gradients reach
// sigma through the reparameterisation; parameter "logSigma" [H, d], no weight decay), or fixed
// at `sigma` with learnSigma false. eps is redrawn at every call from the context's seeds, as
// the paper samples new random features each training step; inference contexts hand out fixed
// seeds, so evaluation is deterministic.
//
// Unlike FAVOR+'s positive features, sin/cos features can make the estimated normaliser
// phi(q) . sum phi(k) tiny or negative with few features; it is clamped to at least
// RFA_MIN_NORMALISER (the paper does not say how it guards this). No attention matrix exists, so
// attentionDropout does not apply; the gated causal form is left out: this is a non-causal encoder.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { constant } from '../nn/initializers.js';
import {
  checkMask,
  headLayout,
  headLayoutProblem,
  headProjection,
  keyMaskPerHead,
  outputProjection,
} from './heads.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface RfaOptions {
  /** Width of queries, keys and values over all heads; null means dModel. */
  qkvDim: number | null;
  /** Random features D per head (phi has 2D entries: sin and cos). */
  features: number;
  /** Standard deviation of the random features (the initial value when learned). */
  sigma: number;
  /** Learn sigma per head and channel. */
  learnSigma: boolean;
}

export const RFA_MIN_NORMALISER = 1e-3;
const L2_EPS = 1e-6;

function l2Normalise(x: tf.Tensor3D): tf.Tensor3D {
  return tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 2, true), L2_EPS))) as tf.Tensor3D;
}

/** phi(x) for x [B*H, N, d] and per-head features w [H, D, d] -> [B*H, N, 2D]. */
export function randomFourierFeatures(x: tf.Tensor3D, w: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const [bh, n, d] = x.shape;
    const [heads, features] = w.shape;
    const batch = bh / heads;
    const byHead = tf.reshape(tf.transpose(tf.reshape(x, [batch, heads, n, d]), [1, 0, 2, 3]), [heads, batch * n, d]);
    const projected = tf.matMul(byHead, w, false, true); // [H, B*N, D]
    const back = tf.reshape(tf.transpose(tf.reshape(projected, [heads, batch, n, features]), [1, 0, 2, 3]), [bh, n, features]);
    return tf.mul(tf.concat([tf.sin(back), tf.cos(back)], 2), 1 / Math.sqrt(features)) as tf.Tensor3D;
  });
}

/**
 * RFA over heads: q, k, v [B*H, N, d] (q and k are L2-normalised here), w [H, D, d] the random
 * features already scaled by sigma, keyMask [B*H, N, 1] or null (padded keys get phi = 0).
 */
export function rfaAttentionHeads(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  w: tf.Tensor3D,
  keyMask: tf.Tensor3D | null,
): tf.Tensor3D {
  return tf.tidy(() => {
    const phiQ = randomFourierFeatures(l2Normalise(q), w);
    let phiK = randomFourierFeatures(l2Normalise(k), w);
    if (keyMask) phiK = tf.mul(phiK, keyMask);
    const summary = tf.matMul(tf.transpose(phiK, [0, 2, 1]), v);
    const normaliser = tf.sum(tf.mul(phiQ, tf.sum(phiK, 1, true)), 2, true);
    return tf.div(tf.matMul(phiQ, summary), tf.maximum(normaliser, RFA_MIN_NORMALISER)) as tf.Tensor3D;
  });
}

function createRfa(args: MixerArgs, options: RfaOptions): Mixer {
  const layout = headLayout(args, options.qkvDim);
  const query = headProjection(args, 'query', layout);
  const key = headProjection(args, 'key', layout);
  const value = headProjection(args, 'value', layout);
  const output = outputProjection(args, layout);
  const logSigma = options.learnSigma
    ? args.params.add('logSigma', [layout.heads, layout.headDim], constant(Math.log(options.sigma)), { decay: false })
    : null;
  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      checkMask('rfa', x, mask);
      const seed = ctx.nextSeed();
      return tf.tidy(() => {
        const noise = tf.randomNormal([layout.heads, options.features, layout.headDim], 0, 1, 'float32', seed);
        const scale = logSigma ? tf.reshape(tf.exp(logSigma), [layout.heads, 1, layout.headDim]) : options.sigma;
        const w = tf.mul(noise, scale) as tf.Tensor3D;
        const keyMask = mask ? keyMaskPerHead(mask, layout.heads) : null;
        return output(rfaAttentionHeads(query.heads(x), key.heads(x), value.heads(x), w, keyMask));
      });
    },
  };
}

export const rfa: MixerSpec<RfaOptions> = {
  name: 'rfa',
  title: 'Random Feature Attention (random Fourier features)',
  paper:
    'Peng, Pappas, Yogatama, Schwartz, Smith and Kong, "Random Feature Attention", ICLR 2021',
  kind: 'attention',
  defaults: { qkvDim: null, features: 64, sigma: 1, learnSigma: true },
  create: createRfa,
  validate(args, options) {
    if (!Number.isInteger(options.features) || options.features <= 0) {
      return `features must be a positive integer, got ${options.features}`;
    }
    if (!(options.sigma > 0)) return `sigma must be positive, got ${options.sigma}`;
    return headLayoutProblem(args, options.qkvDim);
  },
};
