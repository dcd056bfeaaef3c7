// ScaleNorm (Nguyen and Salazar 2019), as fairseq's (Mega's norm_type 'scalenorm'): one learned
// scalar g per layer, y = g x / sqrt(mean(x^2) + eps) over the last axis.
import * as tf from '@tensorflow/tfjs';
import { ones } from './initializers.js';
import type { ParamScope } from './params.js';

export interface ScaleNorm {
  readonly scale: tf.Variable;
  apply<T extends tf.Tensor>(x: T): T;
}

/** The scalar is "<name>/scale" [1], initialised to 1. */
export function scaleNorm(params: ParamScope, name: string, eps: number): ScaleNorm {
  if (!(eps > 0)) throw new Error(`scaleNorm eps must be positive, got ${eps}`);
  const scale = params.scope(name).add('scale', [1], ones());
  return {
    scale,
    apply<T extends tf.Tensor>(x: T): T {
      return tf.tidy(() => {
        const meanSquare = tf.mean(tf.square(x), -1, true);
        return tf.mul(tf.mul(x, scale), tf.rsqrt(tf.add(meanSquare, eps))) as T;
      });
    },
  };
}
