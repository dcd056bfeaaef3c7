// Orthonormal DCT-II and its inverse, as scipy.fft.dct / idct (type 2, norm='ortho').
import * as tf from '@tensorflow/tfjs';
import { ensureSpectralKernels } from './kernels/register.js';
import { DCT_KERNEL, type DctAttrs } from './kernels/kernel-names.js';
import { asFloat32, moveAxisLast, normalizeAxis, restoreAxis } from './tensor-utils.js';

export interface DctOptions {
  /** Default -1 (the last axis). */
  axis?: number;
}

function transform(x: tf.Tensor, options: DctOptions, inverse: boolean, op: string): tf.Tensor {
  ensureSpectralKernels();
  return tf.tidy(() => {
    const signal = asFloat32(x, op);
    const axis = normalizeAxis(options.axis ?? -1, signal.rank, op);
    const attrs: DctAttrs = { inverse };
    const y = tf.engine().runKernel(DCT_KERNEL, { x: moveAxisLast(signal, axis) }, attrs) as tf.Tensor;
    return restoreAxis(y, axis);
  });
}

/** Orthonormal DCT-II along an axis. Differentiable. */
export function dct(x: tf.Tensor, options: DctOptions = {}): tf.Tensor {
  return transform(x, options, false, 'dct');
}

/** Orthonormal DCT-III along an axis, the inverse (and transpose) of dct. Differentiable. */
export function idct(x: tf.Tensor, options: DctOptions = {}): tf.Tensor {
  return transform(x, options, true, 'idct');
}
