// tf.grad through every op against central differences of float64 dense references of the same
// loss, for even, odd and prime lengths, on both JavaScript-kernel backends. The loss
// sum(w o + v o^2 / 2) over every output o makes the incoming gradient depend on the output.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as spectral from '../../src/spectral/index.js';
import type { FftNorm } from '../../src/spectral/index.js';
import { gradcheck, type Float64ScalarFn } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { ARRAY_BACKENDS, useBackend } from './backends.js';
import {
  convolveRef,
  dctRef,
  fft2Ref,
  fftRef,
  idctRef,
  ifftRef,
  irfftRef,
  rfftRef,
  toeplitzRef,
} from './reference.js';

const LENGTHS = [8, 9, 7, 13];

interface Probe {
  w: Float64Array;
  v: Float64Array;
}

function probes(seed: string, sizes: number[]): Probe[] {
  return sizes.map((size, i) => ({ w: seededUniform(`${seed}-w${i}`, size), v: seededUniform(`${seed}-v${i}`, size) }));
}

function lossTf(outputs: tf.Tensor[], ps: Probe[]): tf.Scalar {
  const terms = outputs.map((o, i) => {
    const w = tf.tensor(Float32Array.from(ps[i]!.w), o.shape);
    const v = tf.tensor(Float32Array.from(ps[i]!.v), o.shape);
    return tf.sum(tf.add(tf.mul(w, o), tf.mul(tf.mul(v, 0.5), tf.square(o))));
  });
  return tf.addN(terms) as tf.Scalar;
}

function lossRef(outputs: ArrayLike<number>[], ps: Probe[]): number {
  let total = 0;
  outputs.forEach((o, i) => {
    const { w, v } = ps[i]!;
    for (let j = 0; j < o.length; j++) total += w[j]! * o[j]! + 0.5 * v[j]! * o[j]! * o[j]!;
  });
  return total;
}

interface GradCase {
  name: string;
  inputs: { shape: number[]; seed: string }[];
  /** Output sizes, for the probe weights. */
  outputSizes: number[];
  op: (...xs: tf.Tensor[]) => tf.Tensor[];
  reference: (...xs: Float64Array[]) => ArrayLike<number>[];
}

function cases(n: number): GradCase[] {
  const rows = 3;
  const h = Math.floor(n / 2) + 1;
  const rfftCase = (norm: FftNorm, fftLength: number): GradCase => {
    const bins = Math.floor(fftLength / 2) + 1;
    return {
      name: `rfft norm=${norm} n=${fftLength}`,
      inputs: [{ shape: [rows, n], seed: `rfft-${n}` }],
      outputSizes: [rows * bins, rows * bins],
      op: (x) => {
        const y = spectral.rfft(x, { n: fftLength, norm });
        return [y.re, y.im];
      },
      reference: (x) => {
        const y = rfftRef(x, rows, n, fftLength, norm);
        return [y.re, y.im];
      },
    };
  };
  return [
    rfftCase('backward', n),
    rfftCase('ortho', n),
    rfftCase('forward', n),
    rfftCase('backward', n + 3),
    rfftCase('ortho', n - 2),
    {
      name: 'rfft along axis 0',
      inputs: [{ shape: [n, 2], seed: `rfft-axis-${n}` }],
      outputSizes: [2 * h, 2 * h],
      op: (x) => {
        const y = spectral.rfft(x, { axis: 0 });
        return [y.re, y.im];
      },
      reference: (x) => {
        const t = new Float64Array(2 * n);
        for (let i = 0; i < n; i++) for (let j = 0; j < 2; j++) t[j * n + i] = x[i * 2 + j]!;
        const y = rfftRef(t, 2, n, n);
        const back = (a: Float64Array) => {
          const out = new Float64Array(2 * h);
          for (let k = 0; k < h; k++) for (let j = 0; j < 2; j++) out[k * 2 + j] = a[j * h + k]!;
          return out;
        };
        return [back(y.re), back(y.im)];
      },
    },
    ...(['backward', 'ortho'] as FftNorm[]).map(
      (norm): GradCase => ({
        // The imaginary parts of DC and Nyquist do not reach the output: their gradient is 0.
        name: `irfft norm=${norm}`,
        inputs: [
          { shape: [rows, h], seed: `irfft-re-${n}` },
          { shape: [rows, h], seed: `irfft-im-${n}` },
        ],
        outputSizes: [rows * n],
        op: (re, im) => [spectral.irfft({ re: re!, im: im! }, { n, norm })],
        reference: (re, im) => [irfftRef({ re: re!, im: im! }, rows, h, n, norm)],
      }),
    ),
    {
      name: 'irfft from more bins than it keeps',
      inputs: [
        { shape: [rows, h + 2], seed: `irfft-wide-re-${n}` },
        { shape: [rows, h + 2], seed: `irfft-wide-im-${n}` },
      ],
      outputSizes: [rows * n],
      op: (re, im) => [spectral.irfft({ re: re!, im: im! }, { n })],
      reference: (re, im) => [irfftRef({ re: re!, im: im! }, rows, h + 2, n)],
    },
    ...([false, true] as const).map(
      (inverse): GradCase => ({
        name: inverse ? 'ifft norm=ortho' : 'fft norm=forward',
        inputs: [
          { shape: [2, n], seed: `fft-re-${n}` },
          { shape: [2, n], seed: `fft-im-${n}` },
        ],
        outputSizes: [2 * n, 2 * n],
        op: (re, im) => {
          const y = inverse ? spectral.ifft({ re: re!, im: im! }, { norm: 'ortho' }) : spectral.fft({ re: re!, im: im! }, { norm: 'forward' });
          return [y.re, y.im];
        },
        reference: (re, im) => {
          const y = inverse ? ifftRef({ re: re!, im: im! }, 2, n, 'ortho') : fftRef({ re: re!, im: im! }, 2, n, 'forward');
          return [y.re, y.im];
        },
      }),
    ),
    {
      name: 'fft2 of a real input',
      inputs: [{ shape: [2, n, 4], seed: `fft2-${n}` }],
      outputSizes: [8 * n, 8 * n],
      op: (x) => {
        const y = spectral.fft2(x);
        return [y.re, y.im];
      },
      reference: (x) => {
        const y = fft2Ref(x, 2, n, 4);
        return [y.re, y.im];
      },
    },
    {
      name: 'fnetMix',
      inputs: [{ shape: [2, n, 5], seed: `fnet-${n}` }],
      outputSizes: [10 * n],
      op: (x) => [spectral.fnetMix(x)],
      reference: (x) => [fft2Ref(x, 2, n, 5).re],
    },
    {
      name: 'dct',
      inputs: [{ shape: [rows, n], seed: `dct-${n}` }],
      outputSizes: [rows * n],
      op: (x) => [spectral.dct(x)],
      reference: (x) => [dctRef(x, rows, n)],
    },
    {
      name: 'idct',
      inputs: [{ shape: [rows, n], seed: `idct-${n}` }],
      outputSizes: [rows * n],
      op: (x) => [spectral.idct(x)],
      reference: (x) => [idctRef(x, rows, n)],
    },
    {
      name: 'fftconv with k [channels, N] broadcast over u [batch, channels, N]',
      inputs: [
        { shape: [2, 3, n], seed: `conv-u-${n}` },
        { shape: [3, n], seed: `conv-k-${n}` },
      ],
      outputSizes: [6 * n],
      op: (u, k) => [spectral.fftconv(u!, k!)],
      reference: (u, k) => [convolveRef(u!, 6, n, k!, 3, n)],
    },
    {
      name: 'toeplitzMatvec',
      inputs: [
        { shape: [2 * n - 1], seed: `toeplitz-c-${n}` },
        { shape: [rows, n], seed: `toeplitz-x-${n}` },
      ],
      outputSizes: [rows * n],
      op: (c, x) => [spectral.toeplitzMatvec(c!, x!)],
      reference: (c, x) => [toeplitzRef(c!, x!, rows, n)],
    },
  ];
}

describe.each(ARRAY_BACKENDS)('gradients on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  describe.each(LENGTHS)('N = %i', (n) => {
    it.each(cases(n).map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const ps = probes(`${c.name}-${n}`, c.outputSizes);
      const values = c.inputs.map(({ shape, seed }) => Float32Array.from(seededUniform(seed, shape.reduce((a, b) => a * b, 1))));
      const inputs = c.inputs.map(({ shape }, i) => tf.tensor(values[i]!, shape));
      const before = tf.memory().numTensors;
      const reference: Float64ScalarFn = (...xs) => lossRef(c.reference(...xs), ps);
      const result = gradcheck((...xs) => lossTf(c.op(...xs), ps), inputs, { reference, atol: 2e-4, rtol: 1e-3 });
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(inputs);
      expect(result.worst).toBeDefined();
      expect(result.maxScaledError, JSON.stringify(result.worst)).toBeLessThanOrEqual(1);
    });
  });
});
