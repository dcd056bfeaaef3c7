// The residual block of state-spaces/s4's SequenceModel (SequenceResidualBlock with residual 'R'):
//   prenorm:  y = x + drop(layer(norm(x)))
//   postnorm: y = norm(x + drop(layer(x)))
// with no feed-forward: the layer (the mixer) ends in its own output projection (S4's GLU).
// drop_path is 0 in every LRA config and is not offered.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { dropout } from '../nn/dropout.js';
import type { ParamScope } from '../nn/params.js';
import type { Mixer } from '../mixers/types.js';
import type { EncoderBlock } from './block.js';
import { withoutDecay } from './decay-rules.js';
import { sequenceNorm, type SequenceNormKind } from './sequence-norm.js';

export interface SsmBlockOptions {
  prenorm: boolean;
  norm: SequenceNormKind;
  dModel: number;
  dropout: number;
  normEps: number;
  /** Batch norm's momentum (torch's convention); default 0.1. */
  normMomentum?: number;
  /**
   * One dropout mask per example and channel, shared by every position (S4's tie_dropout,
   * DropoutNd; flax's Dropout with broadcast_dims over the length in S5). Default false.
   */
  tieDropout?: boolean;
  /** Whether the norm's scale and bias take weight decay; default false (S4's and S5's groups). */
  normDecay?: boolean;
}

/** Parameters: the norm "<scope>/norm/..." (without weight decay unless normDecay) and the mixer's own. */
export function ssmBlock(params: ParamScope, mixer: Mixer, options: SsmBlockOptions): EncoderBlock {
  if (mixer.ownsResidual) throw new Error('the ssm backbone owns the residual around its mixer; this mixer brings its own');
  const norm = sequenceNorm(options.norm, options.normDecay ? params : withoutDecay(params), 'norm', options.dModel, options.normEps, options.normMomentum);
  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      return tf.tidy(() => {
        const input = options.prenorm ? norm.apply(x, mask, ctx) : x;
        ctx.observeMixer?.(mixer, input, mask);
        const mixed = mixer.apply(input, mask, ctx);
        if (mixed.shape[1] !== x.shape[1]) {
          throw new Error(`the ssm backbone needs a mixer that keeps the length; got ${mixed.shape[1]} for ${x.shape[1]}`);
        }
        const sum = tf.add(x, options.tieDropout ? tiedDropout(mixed, options.dropout, ctx) : dropout(mixed, options.dropout, ctx)) as tf.Tensor3D;
        return options.prenorm ? sum : norm.apply(sum, mask, ctx);
      });
    },
  };
}

/** Dropout whose mask [B, 1, D] is shared along the length: a channel is dropped for a whole sequence. */
function tiedDropout(x: tf.Tensor3D, rate: number, ctx: ForwardContext): tf.Tensor3D {
  if (!ctx.training || rate === 0) return x;
  return tf.tidy(() => {
    const [batch, , channels] = x.shape;
    return tf.mul(x, dropout(tf.ones([batch, 1, channels]), rate, ctx)) as tf.Tensor3D;
  });
}
