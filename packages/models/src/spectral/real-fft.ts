// rfft and irfft: real signal <-> half spectrum (floor(n/2)+1 bins), as numpy.fft.rfft/irfft.
import * as tf from '@tensorflow/tfjs';
import { ensureSpectralKernels } from './kernels/register.js';
import { IRFFT_KERNEL, RFFT_KERNEL, type IrfftAttrs, type RfftAttrs } from './kernels/kernel-names.js';
import { forwardScale, inverseScale } from './norm.js';
import { rfftBins } from './plan/real-rows.js';
import { asFloat32, checkLength, checkSameShape, fitLastAxis, normalizeAxis } from './tensor-utils.js';
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

/**
 * The tensor as [outer, length, inner] around `axis` (a reshape, no copy): the kernels transform
 * the middle axis in place, so no axis is moved (inner 1: the tensor as it is, last axis).
 */
function aroundAxis(x: tf.Tensor, axis: number): { view: tf.Tensor; inner: number; outer: number[]; trailing: number[] } {
  const outer = x.shape.slice(0, axis);
  const trailing = x.shape.slice(axis + 1);
  const inner = trailing.reduce((a, b) => a * b, 1);
  if (inner === 1) return { view: x, inner, outer, trailing };
  const rows = outer.reduce((a, b) => a * b, 1);
  return { view: tf.reshape(x, [rows, x.shape[axis]!, inner]), inner, outer, trailing };
}

/** x cut or zero-padded to `length` along axis 1 of [outer, m, inner]. */
function fitMiddleAxis(x: tf.Tensor, length: number): tf.Tensor {
  const [rows, m, inner] = x.shape as [number, number, number];
  if (m === length) return x;
  if (m > length) return tf.slice(x, [0, 0, 0], [rows, length, inner]);
  return tf.pad(x, [[0, 0], [0, length - m], [0, 0]]);
}

/** Real FFT along an axis: {re, im} of floor(n/2)+1 bins. Differentiable. */
export function rfft(x: tf.Tensor, options: RfftOptions = {}): ComplexTensors {
  ensureSpectralKernels();
  return tf.tidy(() => {
    const signal = asFloat32(x, 'rfft');
    const axis = normalizeAxis(options.axis ?? -1, signal.rank, 'rfft');
    const { view, inner, outer, trailing } = aroundAxis(signal, axis);
    const length = signal.shape[axis]!;
    const n = checkLength(options.n ?? length, 'rfft');
    const attrs: RfftAttrs = { fftLength: n, inputLength: length, scale: forwardScale(options.norm, n), interiorWeight: 1, inner };
    const [re, im] = tf.engine().runKernel(RFFT_KERNEL, { x: view }, attrs) as tf.Tensor[];
    if (inner === 1) return { re: re!, im: im! };
    const shape = [...outer, rfftBins(n), ...trailing];
    return { re: tf.reshape(re!, shape), im: tf.reshape(im!, shape) };
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
    const { view: reView, inner, outer, trailing } = aroundAxis(re, axis);
    const attrs: IrfftAttrs = { fftLength: n, outLength: n, scale: inverseScale(options.norm, n), interiorWeight: 1, inner };
    if (inner === 1) {
      return tf.engine().runKernel(IRFFT_KERNEL, { re: fitLastAxis(re, bins), im: fitLastAxis(im, bins) }, attrs) as tf.Tensor;
    }
    const imView = aroundAxis(im, axis).view;
    const y = tf.engine().runKernel(IRFFT_KERNEL, { re: fitMiddleAxis(reView, bins), im: fitMiddleAxis(imView, bins) }, attrs) as tf.Tensor;
    return tf.reshape(y, [...outer, n, ...trailing]);
  });
}
