// rfft and irfft: real signal <-> half spectrum (floor(n/2)+1 bins), as numpy.fft.rfft/irfft.
import * as tf from '@tensorflow/tfjs';
import { ensureSpectralKernels } from './kernels/register.js';
import { IRFFT_KERNEL, RFFT_KERNEL, type IrfftAttrs, type RfftAttrs } from './kernels/kernel-names.js';
import { forwardScale, inverseScale } from './norm.js';
import { rfftBins } from './plan/real-rows.js';
import {
  asFloat32,
  checkLength,
  checkSameShape,
  fitLastAxis,
  lastDim,
  moveAxisLast,
  normalizeAxis,
  restoreAxis,
} from './tensor-utils.js';
import type { ComplexTensors, FftNorm } from './types.js';

export interface RfftOptions {
  /** Transform length: the signal is zero-padded or cut to n. Default: its length. */
  n?: number;
  norm?: FftNorm;
  /** Default -1 (the last axis). */
  axis?: number;
}

export interface IrfftOptions {
  /** Output length; required, since floor(n/2)+1 bins come from both n and n+1 samples. */
  n: number;
  norm?: FftNorm;
  axis?: number;
}

/** Real FFT along an axis: {re, im} of floor(n/2)+1 bins. Differentiable. */
export function rfft(x: tf.Tensor, options: RfftOptions = {}): ComplexTensors {
  ensureSpectralKernels();
  return tf.tidy(() => {
    const signal = asFloat32(x, 'rfft');
    const axis = normalizeAxis(options.axis ?? -1, signal.rank, 'rfft');
    const moved = moveAxisLast(signal, axis);
    const n = checkLength(options.n ?? lastDim(moved), 'rfft');
    const attrs: RfftAttrs = {
      fftLength: n,
      inputLength: lastDim(moved),
      scale: forwardScale(options.norm, n),
      interiorWeight: 1,
    };
    const [re, im] = tf.engine().runKernel(RFFT_KERNEL, { x: moved }, attrs) as tf.Tensor[];
    return { re: restoreAxis(re!, axis), im: restoreAxis(im!, axis) };
  });
}

/**
 * Inverse of rfft: a real signal of length n from its half spectrum (bins beyond floor(n/2)+1
 * are dropped, missing ones are zeros; the imaginary parts of DC and Nyquist are ignored).
 */
export function irfft(x: ComplexTensors, options: IrfftOptions): tf.Tensor {
  ensureSpectralKernels();
  return tf.tidy(() => {
    const re = asFloat32(x.re, 'irfft');
    const im = asFloat32(x.im, 'irfft');
    checkSameShape(re, im, 'irfft');
    const n = checkLength(options?.n, 'irfft');
    const axis = normalizeAxis(options.axis ?? -1, re.rank, 'irfft');
    const bins = rfftBins(n);
    const attrs: IrfftAttrs = { fftLength: n, outLength: n, scale: inverseScale(options.norm, n), interiorWeight: 1 };
    const y = tf.engine().runKernel(
      IRFFT_KERNEL,
      { re: fitLastAxis(moveAxisLast(re, axis), bins), im: fitLastAxis(moveAxisLast(im, axis), bins) },
      attrs,
    ) as tf.Tensor;
    return restoreAxis(y, axis);
  });
}
