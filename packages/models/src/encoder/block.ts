// One encoder block around a mixer. The block owns residuals, normalisation, dropout after the
// mixer and the feed-forward; the mixer owns everything between its input and output.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { dropout } from '../nn/dropout.js';
import { feedForward } from '../nn/feed-forward.js';
import { layerNorm } from '../nn/layer-norm.js';
import type { ParamScope } from '../nn/params.js';
import { scaleNorm } from '../nn/scale-norm.js';
import type { BlockRecipe, BlockStyle, Mixer } from '../mixers/types.js';

export interface EncoderBlockOptions {
  style: BlockStyle;
  dModel: number;
  mlpDim: number;
  dropout: number;
  layerNormEps: number;
}

export interface EncoderBlock {
  /** mask: null once a mixer has shortened the sequence (positions no longer match tokens). */
  apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D;
}

/**
 * pre-ln (LRA's Transformer): x + drop(mix(LN(x))), then x + FF(LN(x)).
 * post-ln (FNet, BERT):       LN(x + drop(mix(x))), then LN(x + FF(x)).
 * A mixer that owns its residual (FFTNet 177799f: h = LN(x + drop(y))) is applied to x as is,
 * with no LayerNorm, dropout or residual of the block around it: h = mix(x), then the style's
 * feed-forward half (pre-ln: h + FF(LN(h)); post-ln: LN(h + FF(h))).
 * FF ends in its own dropout, as LRA's MlpBlock.
 * A mixer's blockRecipe (its authors' block) can leave out the mixer's dropout (FNet, GFNet),
 * the residual around the mixer (GFNet: x + FF(LN(mix(LN(x))))), change the feed-forward's
 * initialisation, activation and hidden dropout (FNet, Mega), and its norm (Mega's ScaleNorm).
 */
export function encoderBlock(params: ParamScope, mixer: Mixer, options: EncoderBlockOptions): EncoderBlock {
  const recipe: BlockRecipe = mixer.blockRecipe ?? {};
  const mixerResidual = recipe.mixerResidual ?? true;
  if (!mixerResidual && (options.style !== 'pre-ln' || mixer.ownsResidual)) {
    const got = mixer.ownsResidual ? 'a mixer that owns its residual' : `${options.style} blocks`;
    throw new Error(`a block without a residual around its mixer (GFNet's) needs pre-ln blocks and a mixer that leaves the residual to the block; got ${got}`);
  }
  const mixerDropout = (t: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D =>
    recipe.mixerDropout === false ? t : dropout(t, options.dropout, ctx);
  // A mixer that owns its residual normalises inside itself: a norm here would be a dead parameter.
  const mixerNorm = mixer.ownsResidual ? null : layerNorm(params, 'mixerNorm', options.dModel, options.layerNormEps);
  const ff = feedForward(params, 'feedForward', {
    dModel: options.dModel,
    mlpDim: options.mlpDim,
    dropout: options.dropout,
    ...recipe.feedForward,
  });
  const ffNorm =
    recipe.feedForwardNorm === 'scale'
      ? scaleNorm(params, 'feedForwardNorm', options.layerNormEps)
      : layerNorm(params, 'feedForwardNorm', options.dModel, options.layerNormEps);

  /** The residual path at the mixer's output length: x, or the mixer's residual() of x or of its input. */
  const residualFor = (x: tf.Tensor3D, mixerInput: tf.Tensor3D, mixed: tf.Tensor3D, mask: tf.Tensor2D | null): tf.Tensor3D => {
    if (mixed.shape[1] === x.shape[1]) return x;
    if (!mixer.residual) {
      throw new Error(`the mixer returned length ${mixed.shape[1]} for ${x.shape[1]} but has no residual() to shorten its input`);
    }
    return mixer.residual(mixer.residualFromMixerInput ? mixerInput : x, mask);
  };

  const feedForwardHalf = (h: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D =>
    options.style === 'pre-ln'
      ? (tf.add(h, ff.apply(ffNorm.apply(h), ctx)) as tf.Tensor3D)
      : ffNorm.apply(tf.add(h, ff.apply(h, ctx)) as tf.Tensor3D);

  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      return tf.tidy(() => {
        ctx.observeMixer?.(mixer, mixerNorm && options.style === 'pre-ln' ? mixerNorm.apply(x) : x, mask);
        if (!mixerNorm) return feedForwardHalf(mixer.apply(x, mask, ctx), ctx);
        if (options.style === 'pre-ln') {
          const normed = mixerNorm.apply(x);
          const mixed = mixerDropout(mixer.apply(normed, mask, ctx), ctx);
          const residual = residualFor(x, normed, mixed, mask);
          if (!mixerResidual) return tf.add(residual, ff.apply(ffNorm.apply(mixed), ctx)) as tf.Tensor3D;
          return feedForwardHalf(tf.add(residual, mixed) as tf.Tensor3D, ctx);
        }
        const mixed = mixerDropout(mixer.apply(x, mask, ctx), ctx);
        return feedForwardHalf(mixerNorm.apply(tf.add(residualFor(x, x, mixed, mask), mixed) as tf.Tensor3D), ctx);
      });
    },
  };
}
