// The impulse response of a long convolution with a D skip, as the analysis page shows it: one
// row per channel over offsets i - j. Shared by the mixers that convolve with a causal kernel and,
// two-sided, a backward kernel in s4's layout pad(k0, (0, L)) + pad(flip(k1), (L, 0)).
import * as tf from '@tensorflow/tfjs';
import type { ImpulseResponseView } from '../analysis/inspection.js';

/**
 * causal [rows, L] holds lags 0 .. L-1; backward [rows, L] (or null) holds lags -1 .. -L+1 as its
 * entries 0 .. L-2 (lag -m takes entry m - 1); skip [rows] adds D at lag 0. Leaves no tensors.
 */
export function convolutionImpulseResponse(
  name: string,
  causal: tf.Tensor2D,
  backward: tf.Tensor2D | null,
  skip: tf.Tensor,
): ImpulseResponseView {
  const [rows, length] = causal.shape;
  const response = tf.tidy(() => {
    const lag0 = tf.concat([tf.ones([1, 1]), tf.zeros([1, length - 1])], 1);
    const withSkip = tf.add(causal, tf.mul(tf.reshape(skip, [rows, 1]), lag0)) as tf.Tensor2D;
    if (!backward || length < 2) return withSkip;
    const anticausal = tf.reverse(tf.slice(backward, [0, 0], [rows, length - 1]), -1);
    return tf.concat([anticausal, withSkip], 1);
  });
  const values = response.dataSync() as Float32Array;
  const span = response.shape[1]!;
  response.dispose();
  return { name, channels: rows, firstOffset: length - span, length: span, values };
}
