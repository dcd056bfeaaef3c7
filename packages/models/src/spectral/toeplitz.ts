// Toeplitz matrix-vector products through a circulant embedding, as kernelized attention with
// relative positions needs.
import * as tf from '@tensorflow/tfjs';
import { circularConvolution } from './circular-convolution.js';
import { ensureSpectralKernels } from './kernels/register.js';
import { nextFastLength } from './plan/factorize.js';
import { asFloat32, lastDim } from './tensor-utils.js';

function sliceLast(x: tf.Tensor, begin: number, size: number): tf.Tensor {
  return tf.slice(x, [...x.shape.slice(0, -1).map(() => 0), begin], [...x.shape.slice(0, -1), size]);
}

/**
 * y_i = sum_j c_{j-i} x_j for x [..., N]: the product with the Toeplitz matrix T[i][j] = c_{j-i}.
 * c [..., 2N-1] lists the coefficients by relative offset j - i from -(N-1) to N-1:
 * c[..., t] = c_{t-(N-1)}, so c[..., N-1] is the diagonal, c[..., 0] the corner T[N-1][0] and
 * c[..., 2N-2] the corner T[0][N-1] (scipy.linalg.toeplitz(c[N-1::-1], c[N-1:])).
 * Leading axes broadcast. Costs one circular convolution of a 5-smooth length >= 2N - 1, whose
 * circulant's first column is [c_0, c_-1, ..., c_-(N-1), 0, ..., 0, c_(N-1), ..., c_1].
 * Differentiable in both arguments.
 */
export function toeplitzMatvec(c: tf.Tensor, x: tf.Tensor): tf.Tensor {
  ensureSpectralKernels();
  return tf.tidy(() => {
    const coefficients = asFloat32(c, 'toeplitzMatvec');
    const vector = asFloat32(x, 'toeplitzMatvec');
    const n = lastDim(vector);
    if (n < 1) throw new Error('toeplitzMatvec: x has an empty last axis');
    if (lastDim(coefficients) !== 2 * n - 1) {
      throw new Error(`toeplitzMatvec: c needs 2N-1 = ${2 * n - 1} coefficients for x of length ${n}, got ${lastDim(coefficients)}`);
    }
    const length = nextFastLength(2 * n - 1);
    const parts = [tf.reverse(sliceLast(coefficients, 0, n), -1)];
    const gap = length - (2 * n - 1);
    if (gap > 0) parts.push(tf.zeros([...coefficients.shape.slice(0, -1), gap]));
    if (n > 1) parts.push(tf.reverse(sliceLast(coefficients, n, n - 1), -1));
    const column = parts.length === 1 ? parts[0]! : tf.concat(parts, -1);
    return circularConvolution(column, vector, length, n);
  });
}
