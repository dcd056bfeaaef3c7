import * as tf from '@tensorflow/tfjs';

/**
 * Exact GELU, x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)). (LRA's flax code calls jax.nn.gelu, whose
 * default is the tanh approximation; the two differ by under 1e-3.)
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))) as T);
}
