// Circular convolution by real FFTs, the core of fftconv and toeplitzMatvec.
import * as tf from '@tensorflow/tfjs';
import { IRFFT_KERNEL, RFFT_KERNEL, type IrfftAttrs, type RfftAttrs } from './kernels/kernel-names.js';

/**
 * The first `outLength` samples of the circular convolution, of length `length`, of a and b
 * (each zero-padded to `length`). Leading axes broadcast. Call inside tf.tidy.
 */
export function circularConvolution(a: tf.Tensor, b: tf.Tensor, length: number, outLength: number): tf.Tensor {
  const spectrum = (x: tf.Tensor) => {
    const attrs: RfftAttrs = { fftLength: length, inputLength: x.shape[x.rank - 1]!, scale: 1, interiorWeight: 1 };
    return tf.engine().runKernel(RFFT_KERNEL, { x }, attrs) as tf.Tensor[];
  };
  const [ar, ai] = spectrum(a);
  const [br, bi] = spectrum(b);
  const re = tf.sub(tf.mul(ar!, br!), tf.mul(ai!, bi!));
  const im = tf.add(tf.mul(ar!, bi!), tf.mul(ai!, br!));
  const inverse: IrfftAttrs = { fftLength: length, outLength, scale: 1 / length, interiorWeight: 1 };
  return tf.engine().runKernel(IRFFT_KERNEL, { re, im }, inverse) as tf.Tensor;
}
