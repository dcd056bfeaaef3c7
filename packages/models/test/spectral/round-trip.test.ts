// Round trips and dense checks at LRA lengths (1000, 1024, 2001, 4000) and primes, on rank-3
// inputs and other axes, with tensor counts checked for leaks.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as spectral from '../../src/spectral/index.js';
import { seededUniform } from '../support/random.js';
import { ARRAY_BACKENDS, useBackend } from './backends.js';
import { convolveRef, dctRef, fftRef, maxAbs, maxAbsDiff, rfftRef, toeplitzRef } from './reference.js';

const LONG_LENGTHS = [1000, 1024, 2001, 4000, 4099];

function uniform(seed: string, shape: number[]): tf.Tensor {
  return tf.tensor(Float32Array.from(seededUniform(seed, shape.reduce((a, b) => a * b, 1))), shape);
}

describe.each(ARRAY_BACKENDS)('round trips and dense checks on %s', (backend) => {
  let tensorsBefore = 0;
  beforeAll(() => useBackend(backend));
  beforeEach(() => {
    tensorsBefore = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it.each(LONG_LENGTHS)('irfft(rfft(x)) = x, ifft(fft(z)) = z, idct(dct(x)) = x at N = %i', (n) => {
    tf.tidy(() => {
      const x = uniform(`trip-${n}`, [3, n]);
      const xs = x.dataSync();
      for (const norm of ['backward', 'ortho', 'forward'] as const) {
        expect(maxAbsDiff(spectral.irfft(spectral.rfft(x, { norm }), { n, norm }).dataSync(), xs)).toBeLessThan(1e-5);
      }
      const im = uniform(`trip-im-${n}`, [3, n]);
      const back = spectral.ifft(spectral.fft({ re: x, im }));
      expect(maxAbsDiff(back.re.dataSync(), xs)).toBeLessThan(1e-5);
      expect(maxAbsDiff(back.im.dataSync(), im.dataSync())).toBeLessThan(1e-5);
      expect(maxAbsDiff(spectral.idct(spectral.dct(x)).dataSync(), xs)).toBeLessThan(1e-5);
    });
  });

  it.each([1000, 2001])('rfft and dct at N = %i match dense float64 sums', (n) => {
    tf.tidy(() => {
      const x = uniform(`dense-${n}`, [2, n]);
      const xs = x.dataSync();
      const y = spectral.rfft(x);
      const expected = rfftRef(xs, 2, n, n);
      const scale = maxAbs(expected.re);
      expect(maxAbsDiff(y.re.dataSync(), expected.re)).toBeLessThan(1e-5 * scale);
      expect(maxAbsDiff(y.im.dataSync(), expected.im)).toBeLessThan(1e-5 * scale);
      expect(maxAbsDiff(spectral.dct(x).dataSync(), dctRef(xs, 2, n))).toBeLessThan(1e-4);
    });
  });

  it('Parseval: the ortho rfft keeps the energy once interior bins count twice', () => {
    tf.tidy(() => {
      for (const n of [1000, 2001]) {
        const x = uniform(`parseval-${n}`, [n]);
        const { re, im } = spectral.rfft(x, { norm: 'ortho' });
        const power = tf.add(tf.square(re), tf.square(im)).dataSync();
        let energy = 0;
        for (let k = 0; k < power.length; k++) energy += (k === 0 || 2 * k === n ? 1 : 2) * power[k]!;
        expect(energy).toBeCloseTo(tf.sum(tf.square(x)).dataSync()[0]!, 2);
      }
    });
  });

  it('transforms any axis of a rank-3 tensor', () => {
    tf.tidy(() => {
      const x = uniform('axis', [4, 12, 3]);
      const xs = x.dataSync();
      const along1 = (b: number, c: number) => Float64Array.from({ length: 12 }, (_, j) => xs[b * 36 + j * 3 + c]!);
      const y = spectral.rfft(x, { axis: 1 });
      expect(y.re.shape).toEqual([4, 7, 3]);
      const re = y.re.arraySync() as number[][][];
      const im = y.im.arraySync() as number[][][];
      for (let b = 0; b < 4; b++) {
        for (let c = 0; c < 3; c++) {
          const expected = rfftRef(along1(b, c), 1, 12, 12);
          expect(maxAbsDiff(re[b]!.map((row) => row[c]!), expected.re)).toBeLessThan(1e-5);
          expect(maxAbsDiff(im[b]!.map((row) => row[c]!), expected.im)).toBeLessThan(1e-5);
        }
      }
      const z = spectral.fft({ re: x, im: tf.zerosLike(x) }, { axis: -2 });
      const zr = z.re.arraySync() as number[][][];
      const full = fftRef({ re: along1(2, 1), im: new Float64Array(12) }, 1, 12);
      expect(maxAbsDiff(zr[2]!.map((row) => row[1]!), full.re)).toBeLessThan(1e-5);
      const back = spectral.idct(spectral.dct(x, { axis: 0 }), { axis: 0 });
      expect(maxAbsDiff(back.dataSync(), xs)).toBeLessThan(1e-5);
    });
  });

  it.each([1000, 2001])('fftconv equals direct linear convolution at N = %i', (n) => {
    tf.tidy(() => {
      const u = uniform(`conv-u-${n}`, [2, n]);
      const k = uniform(`conv-k-${n}`, [n]);
      const expected = convolveRef(u.dataSync(), 2, n, k.dataSync(), 1, n);
      expect(maxAbsDiff(spectral.fftconv(u, k).dataSync(), expected)).toBeLessThan(2e-6 * maxAbs(expected) * Math.log2(n));
    });
  });

  it('fftconv with a short filter is causal and cut to N', () => {
    tf.tidy(() => {
      const u = uniform('short-u', [3, 50]);
      const k = tf.tensor1d([0, 1]);
      // Convolving with a delayed unit impulse shifts by one sample.
      const y = spectral.fftconv(u, k).arraySync() as number[][];
      const us = u.arraySync() as number[][];
      for (let r = 0; r < 3; r++) {
        expect(y[r]![0]).toBeCloseTo(0, 6);
        for (let t = 1; t < 50; t++) expect(y[r]![t]).toBeCloseTo(us[r]![t - 1]!, 5);
      }
    });
  });

  it.each([300, 2001])('toeplitzMatvec equals the dense Toeplitz product at N = %i', (n) => {
    tf.tidy(() => {
      const c = uniform(`toeplitz-c-${n}`, [2 * n - 1]);
      const x = uniform(`toeplitz-x-${n}`, [2, n]);
      const expected = toeplitzRef(c.dataSync(), x.dataSync(), 2, n);
      expect(maxAbsDiff(spectral.toeplitzMatvec(c, x).dataSync(), expected)).toBeLessThan(2e-6 * maxAbs(expected) * Math.log2(n));
    });
  });

  it('toeplitzMatvec broadcasts per-head coefficients', () => {
    tf.tidy(() => {
      const n = 16;
      const c = uniform('heads-c', [2, 1, 2 * n - 1]);
      const x = uniform('heads-x', [2, 3, n]);
      const y = spectral.toeplitzMatvec(c, x).arraySync() as number[][][];
      const cs = c.arraySync() as number[][][];
      const xs = x.arraySync() as number[][][];
      for (let h = 0; h < 2; h++) {
        const expected = toeplitzRef(cs[h]![0]!, xs[h]!.flat(), 3, n);
        expect(maxAbsDiff(y[h]!.flat(), expected)).toBeLessThan(1e-5);
      }
    });
  });

  it('fnetMix on [2, 1024, 64] matches fft2 and keeps the input shape', () => {
    tf.tidy(() => {
      const x = uniform('fnet-large', [2, 1024, 64]);
      const mixed = spectral.fnetMix(x);
      expect(mixed.shape).toEqual([2, 1024, 64]);
      const viaFft2 = spectral.fft2(x).re;
      expect(maxAbsDiff(mixed.dataSync(), viaFft2.dataSync())).toBeLessThan(1e-6 * maxAbs(viaFft2.dataSync()) * 16);
    });
  });

  it('accepts int32 inputs', () => {
    tf.tidy(() => {
      const y = spectral.rfft(tf.tensor1d([1, 2, 3, 4], 'int32'));
      expect(Array.from(y.re.dataSync())).toEqual([10, -2, -2]);
      expect(Array.from(y.im.dataSync())).toEqual([0, 2, 0]);
    });
  });
});
