import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from './context.js';

/**
 * Inverted dropout: zero each element with probability `rate` and scale the rest by 1/(1-rate),
 * so the expectation is unchanged and inference needs no rescaling. The mask comes from a seed
 * of the context, never from tfjs's unseeded default.
 */
export function dropout<T extends tf.Tensor>(x: T, rate: number, ctx: ForwardContext): T {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout rate must be in [0, 1), got ${rate}`);
  if (!ctx.training || rate === 0) return x;
  return tf.tidy(() => {
    const draw = tf.randomUniform(x.shape, 0, 1, 'float32', ctx.nextSeed());
    const keep = tf.cast(tf.greaterEqual(draw, rate), 'float32');
    return tf.mul(x, tf.mul(keep, 1 / (1 - rate))) as T;
  });
}
