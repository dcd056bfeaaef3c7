// FNet's token mixing: the real part of the unnormalised 2-D DFT over (sequence, hidden).
import * as tf from '@tensorflow/tfjs';
import { ensureSpectralKernels } from './kernels/register.js';
import { FNET_MIX_KERNEL } from './kernels/kernel-names.js';
import { asFloat32 } from './tensor-utils.js';

/**
 * Re(fft2(x)) over the last two axes of x [..., N, D], the real part taken once at the end.
 * Computed without the discarded imaginary half; its own adjoint, so the backward pass costs
 * the same as the forward one.
 */
export function fnetMix(x: tf.Tensor): tf.Tensor {
  ensureSpectralKernels();
  return tf.tidy(() => {
    const signal = asFloat32(x, 'fnetMix');
    if (signal.rank < 2) throw new Error(`fnetMix: input must have rank >= 2, got shape [${signal.shape.join(', ')}]`);
    return tf.engine().runKernel(FNET_MIX_KERNEL, { x: signal }, {}) as tf.Tensor;
  });
}
