// One encoder block around a mixer. The block owns residuals, normalisation, dropout after the
// mixer and the feed-forward; the mixer owns everything between its input and output.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { dropout } from '../nn/dropout.js';
import { feedForward } from '../nn/feed-forward.js';
import { layerNorm } from '../nn/layer-norm.js';
import type { ParamScope } from '../nn/params.js';
import type { BlockStyle, Mixer } from '../mixers/types.js';

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
 * FF ends in its own dropout, as LRA's MlpBlock.
 */
export function encoderBlock(params: ParamScope, mixer: Mixer, options: EncoderBlockOptions): EncoderBlock {
  const mixerNorm = layerNorm(params, 'mixerNorm', options.dModel, options.layerNormEps);
  const ff = feedForward(params, 'feedForward', {
    dModel: options.dModel,
    mlpDim: options.mlpDim,
    dropout: options.dropout,
  });
  const ffNorm = layerNorm(params, 'feedForwardNorm', options.dModel, options.layerNormEps);

  const residualFor = (x: tf.Tensor3D, mixed: tf.Tensor3D): tf.Tensor3D => {
    if (mixed.shape[1] === x.shape[1]) return x;
    if (!mixer.residual) {
      throw new Error(`the mixer returned length ${mixed.shape[1]} for ${x.shape[1]} but has no residual() to shorten its input`);
    }
    return mixer.residual(x);
  };

  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      return tf.tidy(() => {
        if (options.style === 'pre-ln') {
          const mixed = dropout(mixer.apply(mixerNorm.apply(x), mask, ctx), options.dropout, ctx);
          const h = tf.add(residualFor(x, mixed), mixed) as tf.Tensor3D;
          return tf.add(h, ff.apply(ffNorm.apply(h), ctx)) as tf.Tensor3D;
        }
        const mixed = dropout(mixer.apply(x, mask, ctx), options.dropout, ctx);
        const h = mixerNorm.apply(tf.add(residualFor(x, mixed), mixed) as tf.Tensor3D);
        return ffNorm.apply(tf.add(h, ff.apply(h, ctx)) as tf.Tensor3D);
      });
    },
  };
}
