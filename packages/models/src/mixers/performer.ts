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
//
// impl 'lra' is the Long Range Arena's own Performer (performer-lra.ts), the model behind the LRA
// paper's Table 1 row: by default a deterministic ReLU kernel (lraKernel 'relu', LRA's
// 'generalized' attention, used for every task but ListOps), or FAVOR+ with features redrawn on
// every call (lraKernel 'softmax'; LRA's ListOps config sets it with features: 2, which the
// ListOps experiment must set too, since the default of `features` stays 256, as LRA's own
// default nb_features). Both ignore the padding mask, as LRA's code does; redrawEvery does not
// apply to them, and `features` only to 'softmax'.
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
import { favorFeatures } from './favor-feature-map.js';
import { kernelAttention } from './linear.js';
import { orthogonalGaussianFeatures } from './performer-features.js';
import { createPerformerLra } from './performer-lra.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export { FAVOR_EPS, favorFeatures } from './favor-feature-map.js';

export interface PerformerOptions {
  /** Width of queries, keys and values over all heads; null means dModel. */
  qkvDim: number | null;
  /** Number of random features m (the reference's default: 256; LRA's ListOps: 2). */
  features: number;
  /** Draw new features every this many training steps; null never redraws (impl 'clean'). */
  redrawEvery: number | null;
  /** 'clean' FAVOR+ as above; 'lra' reproduces LRA's code (see the top of this file). */
  impl: 'clean' | 'lra';
  /** impl 'lra' only: 'relu' (LRA's default generalized attention) or 'softmax' (its FAVOR+). */
  lraKernel: 'relu' | 'softmax';
}

// Only matters when every key of a row is padding (0 / 0 otherwise).
const NORMALISER_EPS = 1e-12;

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
  if (options.impl === 'lra') return createPerformerLra(args, options);
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
  defaults: { qkvDim: null, features: 256, redrawEvery: 1000, impl: 'clean', lraKernel: 'relu' },
  // null: features drawn once, never redrawn.
  nullable: ['redrawEvery'],
  choices: { impl: ['clean', 'lra'], lraKernel: ['relu', 'softmax'] },
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
