// Long (linear, causal) convolution by FFT, as Hyena's and S4's fftconv.
import * as tf from '@tensorflow/tfjs';
import { circularConvolution } from './circular-convolution.js';
import { ensureSpectralKernels } from './kernels/register.js';
import { nextFastLength } from './plan/factorize.js';
import { asFloat32, lastDim } from './tensor-utils.js';

/**
 * y[..., t] = sum_{s <= t} k[..., s] u[..., t - s] for t < N: the linear convolution of u [..., N]
 * with k [..., K] along the last axis, cut to N (numpy.convolve(u, k)[:N]). Leading axes
 * broadcast (k [channels, N] against u [batch, channels, N]). The circular length is the
 * smallest 5-smooth length >= N + K - 1 (2N padding's role: no wrap-around into the kept part).
 * Differentiable in both arguments.
 */
export function fftconv(u: tf.Tensor, k: tf.Tensor): tf.Tensor {
  ensureSpectralKernels();
  return tf.tidy(() => {
    const signal = asFloat32(u, 'fftconv');
    const filter = asFloat32(k, 'fftconv');
    const n = lastDim(signal);
    const taps = lastDim(filter);
    if (n < 1 || taps < 1) throw new Error(`fftconv: empty last axis (u has ${n} samples, k has ${taps})`);
    return circularConvolution(signal, filter, nextFastLength(n + taps - 1), n);
  });
}
