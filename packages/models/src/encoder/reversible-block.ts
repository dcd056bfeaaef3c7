// One reversible block (RevNet, Gomez et al. 2017; as the Reformer uses it, Kitaev et al. 2020):
// two streams of width dModel, Y1 = X1 + F(X2) and Y2 = X2 + G(Y1), with
// F = LN -> mixer -> dropout and G = LN -> feed-forward (which ends in its own dropout). Its input
// can be rebuilt from its output, X2 = Y2 - G(Y1) and X1 = Y1 - F(X2), so the backward pass needs
// no stored activations. Parameters keep the ordinary block's names (layer<i>/mixer,
// layer<i>/mixerNorm, layer<i>/feedForward, layer<i>/feedForwardNorm).
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { dropout } from '../nn/dropout.js';
import { feedForward } from '../nn/feed-forward.js';
import { layerNorm } from '../nn/layer-norm.js';
import type { ParamScope } from '../nn/params.js';
import { collectingScope } from './collecting-scope.js';
import type { Mixer } from '../mixers/types.js';

export interface ReversibleBlockOptions {
  dModel: number;
  mlpDim: number;
  dropout: number;
  layerNormEps: number;
}

export interface ReversibleBlock {
  readonly mixer: Mixer;
  /** F(x2) = drop(mix(LN(x2))): what the first stream adds. */
  mix(x2: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D;
  /** G(y1) = FF(LN(y1)): what the second stream adds. */
  feedForward(y1: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D;
  /** The parameters F reads (the mixer's and its LayerNorm's): the backward pass differentiates F by them. */
  readonly mixParams: readonly tf.Variable[];
  /** The parameters G reads (the feed-forward's and its LayerNorm's). */
  readonly feedForwardParams: readonly tf.Variable[];
}

/**
 * Builds a block in `params` (the layer's scope); createMixer builds the mixer in the scope it is
 * handed (the layer's "mixer" scope). A mixer that owns its residual has no reversible form: its
 * output is not x + F(x) but LN(x + F(x)), which cannot be subtracted back out.
 */
export function reversibleBlock(
  params: ParamScope,
  createMixer: (params: ParamScope) => Mixer,
  options: ReversibleBlockOptions,
): ReversibleBlock {
  const mixParams: tf.Variable[] = [];
  const feedForwardParams: tf.Variable[] = [];
  const mixScope = collectingScope(params, mixParams);
  const feedForwardScope = collectingScope(params, feedForwardParams);
  const mixer = createMixer(mixScope.scope('mixer'));
  if (mixer.ownsResidual) {
    throw new Error('invalid classifier config: reversible blocks need a mixer that leaves the residual to the block, and this mixer owns its residual (its output LN(x + F(x)) cannot be inverted)');
  }
  const recipe = mixer.blockRecipe ?? {};
  if (recipe.mixerResidual === false) {
    throw new Error('invalid classifier config: reversible blocks need a residual around the mixer, and this mixer\'s block has none (GFNet\'s x + FF(LN(mix(LN(x)))))');
  }
  const mixerNorm = layerNorm(mixScope, 'mixerNorm', options.dModel, options.layerNormEps);
  const ff = feedForward(feedForwardScope, 'feedForward', {
    dModel: options.dModel,
    mlpDim: options.mlpDim,
    dropout: options.dropout,
    ...recipe.feedForward,
  });
  const ffNorm = layerNorm(feedForwardScope, 'feedForwardNorm', options.dModel, options.layerNormEps);
  return {
    mixer,
    mixParams,
    feedForwardParams,
    mix: (x2, mask, ctx) =>
      tf.tidy(() => {
        const normed = mixerNorm.apply(x2);
        ctx.observeMixer?.(mixer, normed, mask);
        const mixed = mixer.apply(normed, mask, ctx);
        if (mixed.shape[1] !== x2.shape[1]) {
          throw new Error(`reversible blocks need a mixer that keeps the length; it returned ${mixed.shape[1]} for ${x2.shape[1]}`);
        }
        return recipe.mixerDropout === false ? mixed : dropout(mixed, options.dropout, ctx);
      }),
    feedForward: (y1, ctx) => tf.tidy(() => ff.apply(ffNorm.apply(y1), ctx)),
  };
}
