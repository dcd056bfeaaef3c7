import * as tf from '@tensorflow/tfjs';
import { activeBackendHas } from '../backend/fused/register.js';
import { GELU_KERNEL } from '../backend/fused/gelu.js';

/**
 * Exact GELU, x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)). (LRA's flax code calls jax.nn.gelu, whose
 * default is the tanh approximation; the two differ by under 1e-3.)
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  // One kernel forward and one backward where the backend has them (cpu, wasm).
  if (x.dtype === 'float32' && activeBackendHas(GELU_KERNEL)) return tf.engine().runKernel(GELU_KERNEL, { x }, {}) as T;
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))) as T);
}

/**
 * GELU's tanh approximation, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): flax's nn.gelu
 * default (jax.nn.gelu approximate=True), which S5's and the LRU's layers call.
 */
export function geluTanh<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner))) as T;
  });
}
