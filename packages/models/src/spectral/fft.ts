// fft, ifft and fft2 of split complex tensors, as numpy.fft.fft/ifft/fft2.
import * as tf from '@tensorflow/tfjs';
import { ensureSpectralKernels } from './kernels/register.js';
import { FFT_KERNEL, type FftAttrs } from './kernels/kernel-names.js';
import { forwardScale, inverseScale } from './norm.js';
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

export interface FftOptions {
  /** Transform length: the input is zero-padded or cut to n. Default: its length. */
  n?: number;
  norm?: FftNorm;
  /** Default -1 (the last axis). */
  axis?: number;
}

export interface Fft2Options {
  norm?: FftNorm;
}

function runFft(re: tf.Tensor, im: tf.Tensor, attrs: FftAttrs): ComplexTensors {
  const [yr, yi] = tf.engine().runKernel(FFT_KERNEL, { re, im }, attrs) as tf.Tensor[];
  return { re: yr!, im: yi! };
}

function transform(x: ComplexTensors, options: FftOptions, inverse: boolean, op: string): ComplexTensors {
  ensureSpectralKernels();
  return tf.tidy(() => {
    const re = asFloat32(x.re, op);
    const im = asFloat32(x.im, op);
    checkSameShape(re, im, op);
    const axis = normalizeAxis(options.axis ?? -1, re.rank, op);
    const movedRe = moveAxisLast(re, axis);
    const n = checkLength(options.n ?? lastDim(movedRe), op);
    const scale = inverse ? inverseScale(options.norm, n) : forwardScale(options.norm, n);
    const y = runFft(fitLastAxis(movedRe, n), fitLastAxis(moveAxisLast(im, axis), n), { inverse, scale });
    return { re: restoreAxis(y.re, axis), im: restoreAxis(y.im, axis) };
  });
}

/** Complex DFT along an axis. Differentiable. */
export function fft(x: ComplexTensors, options: FftOptions = {}): ComplexTensors {
  return transform(x, options, false, 'fft');
}

/** Inverse complex DFT along an axis. Differentiable. */
export function ifft(x: ComplexTensors, options: FftOptions = {}): ComplexTensors {
  return transform(x, options, true, 'ifft');
}

/**
 * 2-D DFT over the last two axes (FNet's sequence and hidden axes) of a real tensor or a complex
 * pair; the norm's n is the product of the two lengths. For Re(fft2(x)) use fnetMix.
 */
export function fft2(x: tf.Tensor | ComplexTensors, options: Fft2Options = {}): ComplexTensors {
  ensureSpectralKernels();
  return tf.tidy(() => {
    const complex = x instanceof tf.Tensor ? { re: x, im: tf.zerosLike(x) } : x;
    const re = asFloat32(complex.re, 'fft2');
    const im = asFloat32(complex.im, 'fft2');
    checkSameShape(re, im, 'fft2');
    if (re.rank < 2) throw new Error(`fft2: input must have rank >= 2, got shape [${re.shape.join(', ')}]`);
    const rows = re.shape[re.rank - 2]!;
    const cols = re.shape[re.rank - 1]!;
    const alongCols = runFft(re, im, { inverse: false, scale: 1 });
    const swap = [...Array(re.rank).keys()];
    swap[re.rank - 2] = re.rank - 1;
    swap[re.rank - 1] = re.rank - 2;
    const alongRows = runFft(tf.transpose(alongCols.re, swap), tf.transpose(alongCols.im, swap), {
      inverse: false,
      scale: forwardScale(options.norm, rows * cols),
    });
    return { re: tf.transpose(alongRows.re, swap), im: tf.transpose(alongRows.im, swap) };
  });
}
