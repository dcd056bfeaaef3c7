// Padding for the fixed-length spectral mixers (fftnet, gfnet): their filters have one value per
// frequency of the length they were built for, so every input is brought to that length.
import * as tf from '@tensorflow/tfjs';

/** x with padded positions (mask 0) set to zero; x itself when there is no mask. */
export function zeroPadding(x: tf.Tensor3D, mask: tf.Tensor2D | null): tf.Tensor3D {
  if (!mask) return x;
  const [batch, length] = x.shape;
  if (mask.shape[0] !== batch || mask.shape[1] !== length) {
    throw new Error(`mask shape [${mask.shape}] does not match input [${batch}, ${length}]`);
  }
  return tf.mul(x, tf.expandDims(mask, 2));
}

/**
 * x [B, n, D] extended with zeros to [B, length, D]: a shorter input is handled exactly as if it
 * had been padded to the built length. Longer inputs are an error.
 */
export function fitToLength(x: tf.Tensor3D, length: number, mixer: string): tf.Tensor3D {
  const n = x.shape[1];
  if (n > length) throw new Error(`${mixer}: input length ${n} exceeds the length ${length} it was built for`);
  return n === length ? x : tf.pad(x, [[0, 0], [0, length - n], [0, 0]]);
}
