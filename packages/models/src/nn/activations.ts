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
