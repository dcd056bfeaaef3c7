// Performer's FAVOR+ (Choromanski et al. 2021; google-research/performer fast_attention/jax):
// exp(q.k / sqrt(d)) estimated without bias by positive random features,
//   phi(x) = m^{-1/2} (exp(W x' - |x'|^2 / 2 - stabiliser) + 1e-4),   x' = x d^{-1/4},
// with W [m, d] orthogonal random features, so attention costs O(N m d).
// Stabilisers as the reference: a query's is the max of its own projections (over features);
// the keys' is the max over features AND positions (one per example and head), so that it cancels
// between numerator and normaliser. Padded keys are left out of that max and get phi(k) = 0.
//
// Feature redraws: the features are drawn from (model seed, layer, draw index), draw index =
// floor(step / redrawEvery) in training (ForwardContext.step), so a resumed run redraws exactly
// as an uninterrupted one. At inference the mixer uses the draw of the last training step it saw
// (the features the model currently works with) and, if it has seen none, draw 0: a model
// restored from a checkpoint evaluates with draw 0, which only matches its training features when
// redrawEvery is null (never redraw) or training ended before the first redraw.
// There is no attention matrix, so attentionDropout does not apply. Rotary positions rotate q and
// k before the feature map: the softmax kernel they estimate is then relative in expectation.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import {
  checkMask,
  headLayout,
  headLayoutProblem,
  headProjection,
  keyMaskPerHead,
  layerRandom,
  outputProjection,
} from './heads.js';
import { kernelAttention } from './linear.js';
import { orthogonalGaussianFeatures } from './performer-features.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface PerformerOptions {
  /** Width of queries, keys and values over all heads; null means dModel. */
  qkvDim: number | null;
  /** Number of random features m (LRA's Performer: 256). */
  features: number;
  /** Draw new features every this many training steps; null never redraws. */
  redrawEvery: number | null;
}

// The reference's numerical stabiliser added to every feature.
export const FAVOR_EPS = 1e-4;
// Only matters when every key of a row is padding (0 / 0 otherwise).
const NORMALISER_EPS = 1e-12;
const MASKED_PROJECTION = -1e9;

/**
 * The row maxima of x [rows, cols] ([rows, 1]), with the gradient sent to each row's first
 * maximal element, as jax and TensorFlow differentiate max. tfjs's own Max gradient (an equality
 * mask against the broadcast maxima) made a training step three times slower.
 */
function rowMax(x: tf.Tensor2D): tf.Tensor2D {
  const cols = x.shape[1];
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([input]);
    return {
      value: tf.max(input, 1, true),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        // oneHot is made int32 and cast: the wasm backend's float32 OneHot writes integer bits.
        tf.mul(tf.cast(tf.oneHot(tf.argMax(saved[0]!, 1), cols), 'float32'), dy as tf.Tensor),
    };
  })(x) as tf.Tensor2D;
}

/**
 * Positive softmax-kernel features of x [BH, N, d] for the feature matrix w [m, d].
 * keyMask [BH, N, 1] marks the real keys; null for queries and unmasked keys.
 */
export function favorFeatures(x: tf.Tensor3D, w: tf.Tensor2D, isQuery: boolean, keyMask: tf.Tensor3D | null): tf.Tensor3D {
  return tf.tidy(() => {
    const [bh, n, d] = x.shape;
    const m = w.shape[0];
    const scaled = tf.mul(x, Math.pow(d, -0.25));
    const projected = tf.reshape(tf.matMul(tf.reshape(scaled, [bh * n, d]), w, false, true), [bh, n, m]);
    const halfNorm = tf.mul(tf.sum(tf.square(scaled), 2, true), 0.5);
    let stabiliser: tf.Tensor;
    if (isQuery) {
      stabiliser = tf.reshape(rowMax(tf.reshape(projected, [bh * n, m])), [bh, n, 1]);
    } else {
      const candidates = keyMask ? tf.add(projected, tf.mul(tf.sub(1, keyMask), MASKED_PROJECTION)) : projected;
      stabiliser = tf.reshape(rowMax(tf.reshape(candidates, [bh, n * m])), [bh, 1, 1]);
    }
    const features = tf.mul(tf.add(tf.exp(tf.sub(tf.sub(projected, halfNorm), stabiliser)), FAVOR_EPS), 1 / Math.sqrt(m));
    return (keyMask ? tf.mul(features, keyMask) : features) as tf.Tensor3D;
  });
}

/** FAVOR+ attention over heads: q, k, v [BH, N, d], features w [m, d], keyMask [BH, N, 1] or null. */
export function favorAttentionHeads(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  w: tf.Tensor2D,
  keyMask: tf.Tensor3D | null,
): tf.Tensor3D {
  return tf.tidy(() =>
    kernelAttention(favorFeatures(q, w, true, null), favorFeatures(k, w, false, keyMask), v, NORMALISER_EPS),
  );
}

function createPerformer(args: MixerArgs, options: PerformerOptions): Mixer {
  const layout = headLayout(args, options.qkvDim);
  const rotate = args.rope === true;
  const query = headProjection(args, 'query', layout, { rotate });
  const key = headProjection(args, 'key', layout, { rotate });
  const value = headProjection(args, 'value', layout);
  const output = outputProjection(args, layout);
  // Feature values are kept as JS arrays (the mixer owns no tensors between calls).
  const draws = new Map<number, Float32Array>();
  const featuresFor = (draw: number): Float32Array => {
    let values = draws.get(draw);
    if (!values) {
      values = orthogonalGaussianFeatures(options.features, layout.headDim, layerRandom(args, `favor/${draw}`));
      draws.clear();
      draws.set(draw, values);
    }
    return values;
  };
  let lastDraw = 0;
  const drawFor = (ctx: ForwardContext): number => {
    if (ctx.training && ctx.step !== undefined) {
      lastDraw = options.redrawEvery === null ? 0 : Math.floor(ctx.step / options.redrawEvery);
    }
    return lastDraw;
  };
  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      checkMask('performer', x, mask);
      const values = featuresFor(drawFor(ctx));
      return tf.tidy(() => {
        const w = tf.tensor2d(values, [options.features, layout.headDim]);
        const keyMask = mask ? keyMaskPerHead(mask, layout.heads) : null;
        return output(favorAttentionHeads(query.heads(x), key.heads(x), value.heads(x), w, keyMask));
      });
    },
  };
}

export const performer: MixerSpec<PerformerOptions> = {
  name: 'performer',
  title: 'Performer (FAVOR+ positive orthogonal random features)',
  paper:
    'Choromanski, Likhosherstov, Dohan, Song, Gane, Sarlos, Hawkins, Davis, Mohiuddin, Kaiser, Belanger, Colwell and Weller, "Rethinking Attention with Performers", ICLR 2021',
  kind: 'attention',
  defaults: { qkvDim: null, features: 256, redrawEvery: 1000 },
  rope: true,
  create: createPerformer,
  validate(args, options) {
    if (!Number.isInteger(options.features) || options.features <= 0) {
      return `features must be a positive integer, got ${options.features}`;
    }
    if (options.redrawEvery !== null && (!Number.isInteger(options.redrawEvery) || options.redrawEvery <= 0)) {
      return `redrawEvery must be a positive integer or null, got ${options.redrawEvery}`;
    }
    return headLayoutProblem(args, options.qkvDim);
  },
};
