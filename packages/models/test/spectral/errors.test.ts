// Bad arguments fail early with messages that name the problem.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as spectral from '../../src/spectral/index.js';
import type { IrfftOptions } from '../../src/spectral/index.js';
import { useBackend } from './backends.js';

describe('argument errors', () => {
  beforeAll(() => useBackend('cpu'));
  const x = () => tf.ones([2, 8]);

  it('rejects scalars, bad lengths, norms and axes', () => {
    expect(() => spectral.rfft(tf.scalar(1))).toThrow(/rfft: input must have rank >= 1/);
    expect(() => spectral.rfft(x(), { n: 0 })).toThrow(/rfft: transform length must be a positive integer, got 0/);
    expect(() => spectral.fft({ re: x(), im: x() }, { n: 2.5 })).toThrow(/fft: transform length must be a positive integer/);
    expect(() => spectral.rfft(x(), { norm: 'unitary' as 'ortho' })).toThrow(/unknown FFT norm 'unitary'/);
    expect(() => spectral.dct(x(), { axis: 2 })).toThrow(/dct: axis 2 is out of range for rank 2/);
    expect(() => spectral.ifft({ re: x(), im: x() }, { axis: -3 })).toThrow(/ifft: axis -3 is out of range/);
  });

  it('requires irfft length and matching re/im shapes', () => {
    const spectrum = { re: tf.ones([2, 5]), im: tf.ones([2, 5]) };
    expect(() => spectral.irfft(spectrum, {} as IrfftOptions)).toThrow(/irfft: transform length must be a positive integer, got undefined/);
    expect(() => spectral.irfft({ re: tf.ones([2, 5]), im: tf.ones([2, 4]) }, { n: 8 })).toThrow(
      /irfft: re and im must have the same shape, got \[2, 5\] and \[2, 4\]/,
    );
  });

  it('checks the shapes of fnetMix, fft2 and toeplitzMatvec', () => {
    expect(() => spectral.fnetMix(tf.ones([8]))).toThrow(/fnetMix: input must have rank >= 2/);
    expect(() => spectral.fft2(tf.ones([8]))).toThrow(/fft2: input must have rank >= 2/);
    expect(() => spectral.toeplitzMatvec(tf.ones([8]), tf.ones([2, 8]))).toThrow(
      /toeplitzMatvec: c needs 2N-1 = 15 coefficients for x of length 8, got 8/,
    );
  });

  it('leaves no tensors behind when it throws', () => {
    const a = tf.ones([2, 8]);
    const before = tf.memory().numTensors;
    expect(() => spectral.toeplitzMatvec(tf.ones([3]), a)).toThrow();
    // The tf.ones([3]) argument is the caller's; everything else is cleaned up.
    expect(tf.memory().numTensors).toBe(before + 1);
  });
});
