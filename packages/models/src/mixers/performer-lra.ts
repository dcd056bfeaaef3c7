// Performer as the Long Range Arena's code runs it (models/performer/performer.py with its fork of
// fast_attention, performer_attention.py): the model behind the LRA paper's Table 1 row. It sits
// beside the clean FAVOR+ of performer.ts because LRA's code differs from the paper's method in
// ways that change the model:
// - Its default kernel (Text, Retrieval, Image, Pathfinder) is not FAVOR+ but 'generalized'
//   attention with a deterministic ReLU kernel, phi(x) = relu(x) + 1e-3, on the raw queries and
//   keys (no d^-1/4 scaling, no random features), and no guard on the normaliser.
// - ListOps' config picks FAVOR+ ('softmax') with nb_features 2, the features redrawn on every
//   call, evaluation included, from a seed made of the queries, ceil(sum(q) * 1e7). Its feature
//   eps is 1e-6 (the reference's 1e-4 elsewhere), the keys' stabiliser is their max over every
//   position, and the normaliser R gets 2e-6 added where |R| <= 1e-6.
// - The padding mask is never applied (flax hands the attention function a mask bias that the
//   fast attention ignores), and neither is attention dropout.
// JAX's PRNG and LAPACK's QR cannot be reproduced here, so the softmax kernel's features follow
// their distribution instead (orthogonal Gaussian rows rescaled by chi-distributed norms, as
// performer-features.ts draws them), from a generator seeded by the same query sum, the layer and
// the model seed: as in LRA, the same input gets the same features and another input new ones.
// Tests hand fixed features in through createPerformerLra's drawFeatures. A step split into
// micro-batches sums each micro-batch's queries, so each draws its own features (in LRA the whole
// batch shares one draw); the features carry no gradient, in LRA as here.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { favorFeatures } from './favor-feature-map.js';
import { checkMask, headLayout, headProjection, layerRandom, outputProjection } from './heads.js';
import type { PerformerOptions } from './performer.js';
import { orthogonalGaussianFeatures } from './performer-features.js';
import type { Mixer, MixerArgs } from './types.js';

/** LRA's generalized attention's kernel_epsilon, added to relu of every query and key. */
export const LRA_RELU_EPS = 1e-3;
/** LRA's softmax attention's numerical_stabiliser: the features' eps and the normaliser's guard. */
export const LRA_SOFTMAX_STABILISER = 1e-6;

/** Features [m, d] for the seed LRA derives from the queries. */
export type LraFeatureDraw = (querySeed: number) => Float32Array;

/**
 * Kernel attention as LRA's FastAttentionviaLowRankDecomposition: numerator phiQ (phiK^T V) over
 * R = phiQ . sum_j phiK_j, with 2 s added to R where |R| <= s (s = 0: R as it is).
 * phiQ, phiK [BH, N, m], v [BH, N, d].
 */
export function lraKernelAttention(phiQ: tf.Tensor3D, phiK: tf.Tensor3D, v: tf.Tensor3D, stabiliser: number): tf.Tensor3D {
  return tf.tidy(() => {
    const numerator = tf.matMul(phiQ, tf.matMul(phiK, v, true, false));
    let normaliser: tf.Tensor = tf.sum(tf.mul(phiQ, tf.sum(phiK, 1, true)), 2, true);
    if (stabiliser > 0) normaliser = guardNormaliser(normaliser, stabiliser);
    return tf.div(numerator, normaliser) as tf.Tensor3D;
  });
}

/**
 * r + 2 s where |r| <= s, with the identity as gradient: the step's derivative is zero, as jax
 * differentiates it (tfjs has no gradient for the comparison).
 */
function guardNormaliser(r: tf.Tensor, stabiliser: number): tf.Tensor {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    const small = tf.cast(tf.lessEqual(tf.abs(input), stabiliser), 'float32');
    return { value: tf.add(input, tf.mul(small, 2 * stabiliser)), gradFunc: (dy: tf.Tensor | tf.Tensor[]) => dy as tf.Tensor };
  })(r);
}

/** LRA's default: relu(x) + 1e-3 features of the unscaled queries and keys [BH, N, d]. */
export function lraReluAttentionHeads(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const phi = (x: tf.Tensor3D) => tf.add(tf.relu(x), LRA_RELU_EPS) as tf.Tensor3D;
    return lraKernelAttention(phi(q), phi(k), v, 0);
  });
}

/** LRA's FAVOR+ ('softmax') for features w [m, d]: eps 1e-6, no key mask, guarded normaliser. */
export function lraSoftmaxAttentionHeads(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, w: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const phiQ = favorFeatures(q, w, true, null, LRA_SOFTMAX_STABILISER);
    const phiK = favorFeatures(k, w, false, null, LRA_SOFTMAX_STABILISER);
    return lraKernelAttention(phiQ, phiK, v, LRA_SOFTMAX_STABILISER);
  });
}

/** LRA's feature seed: ceil(1e7 * the sum of every query of the batch). */
export function lraQuerySeed(q: tf.Tensor): number {
  const total = tf.sum(q);
  const seed = Math.ceil(total.dataSync()[0]! * 1e7);
  total.dispose();
  return seed;
}

/**
 * The LRA performer. drawFeatures gives the softmax kernel's features for a query seed; by
 * default orthogonal Gaussian features from a generator keyed by that seed and the layer.
 */
export function createPerformerLra(args: MixerArgs, options: PerformerOptions, drawFeatures?: LraFeatureDraw): Mixer {
  const layout = headLayout(args, options.qkvDim);
  const rotate = args.rope === true;
  const query = headProjection(args, 'query', layout, { rotate });
  const key = headProjection(args, 'key', layout, { rotate });
  const value = headProjection(args, 'value', layout);
  const output = outputProjection(args, layout);
  const draw: LraFeatureDraw =
    drawFeatures ??
    ((seed) => orthogonalGaussianFeatures(options.features, layout.headDim, layerRandom(args, `lra-favor/${seed}`)));
  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, _ctx: ForwardContext): tf.Tensor3D {
      checkMask('performer', x, mask);
      return tf.tidy(() => {
        const q = query.heads(x);
        const k = key.heads(x);
        const v = value.heads(x);
        if (options.lraKernel === 'relu') return output(lraReluAttentionHeads(q, k, v));
        const values = draw(lraQuerySeed(q));
        if (values.length !== options.features * layout.headDim) {
          throw new Error(`performer: ${values.length} feature values drawn, expected ${options.features} x ${layout.headDim}`);
        }
        return output(lraSoftmaxAttentionHeads(q, k, v, tf.tensor2d(values, [options.features, layout.headDim])));
      });
    },
  };
}
