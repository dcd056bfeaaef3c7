// The public ops against values computed by numpy and scipy
// (scripts/fixtures/spectral_fixtures.py), on each backend with JavaScript kernels.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as spectral from '../../src/spectral/index.js';
import type { FftNorm } from '../../src/spectral/index.js';
import { ARRAY_BACKENDS, useBackend } from './backends.js';
import { maxAbs, maxAbsDiff } from './reference.js';

function fixture<T>(name: string): T[] {
  const url = new URL(`../fixtures/spectral/${name}`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: T[] }).cases;
}

interface RfftCase {
  shape: number[];
  x: number[];
  n: number;
  out: Partial<Record<FftNorm, { re: number[]; im: number[] }>>;
}
interface IrfftCase {
  shape: number[];
  re: number[];
  im: number[];
  n: number;
  out: Record<FftNorm, number[]>;
}
interface FftCase {
  shape: number[];
  re: number[];
  im: number[];
  out: Record<FftNorm, { fftRe: number[]; fftIm: number[]; ifftRe: number[]; ifftIm: number[] }>;
}
interface Fft2Case {
  shape: number[];
  x: number[];
  re: number[];
  im: number[];
}
interface DctCase {
  shape: number[];
  x: number[];
  dct: number[];
  idct: number[];
}
interface FftconvCase {
  uShape: number[];
  kShape: number[];
  u: number[];
  k: number[];
  y: number[];
}
interface ToeplitzCase {
  n: number;
  c: number[];
  x: number[];
  y: number[];
}

const NORMS: FftNorm[] = ['backward', 'ortho', 'forward'];

/** float32 results against float64 references: error relative to the reference's magnitude. */
function expectClose(actual: tf.Tensor, expected: number[], relative = 2e-6): void {
  const got = actual.dataSync();
  expect(got.length).toBe(expected.length);
  expect(maxAbsDiff(got, expected)).toBeLessThanOrEqual(relative * Math.max(1, maxAbs(expected)) * Math.log2(expected.length + 2));
}

describe.each(ARRAY_BACKENDS)('numpy/scipy fixtures on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('rfft: every length, norm, padding and truncation', () => {
    for (const c of fixture<RfftCase>('rfft.json')) {
      for (const [norm, out] of Object.entries(c.out) as [FftNorm, { re: number[]; im: number[] }][]) {
        tf.tidy(() => {
          const y = spectral.rfft(tf.tensor(c.x, c.shape), { n: c.n, norm });
          expectClose(y.re, out.re);
          expectClose(y.im, out.im);
        });
      }
    }
  });

  it('irfft: ignores imaginary DC and Nyquist, every norm', () => {
    for (const c of fixture<IrfftCase>('irfft.json')) {
      for (const norm of NORMS) {
        tf.tidy(() => {
          const y = spectral.irfft({ re: tf.tensor(c.re, c.shape), im: tf.tensor(c.im, c.shape) }, { n: c.n, norm });
          expectClose(y, c.out[norm]);
        });
      }
    }
  });

  it('fft and ifft, every norm', () => {
    for (const c of fixture<FftCase>('fft.json')) {
      for (const norm of NORMS) {
        tf.tidy(() => {
          const x = { re: tf.tensor(c.re, c.shape), im: tf.tensor(c.im, c.shape) };
          const f = spectral.fft(x, { norm });
          const g = spectral.ifft(x, { norm });
          expectClose(f.re, c.out[norm].fftRe);
          expectClose(f.im, c.out[norm].fftIm);
          expectClose(g.re, c.out[norm].ifftRe);
          expectClose(g.im, c.out[norm].ifftIm);
        });
      }
    }
  });

  it('fft2 and fnetMix (numpy.fft.fft2)', () => {
    for (const c of fixture<Fft2Case>('fft2.json')) {
      tf.tidy(() => {
        const x = tf.tensor(c.x, c.shape);
        const y = spectral.fft2(x);
        expectClose(y.re, c.re);
        expectClose(y.im, c.im);
        expectClose(spectral.fnetMix(x), c.re);
      });
    }
  });

  it('dct and idct (scipy.fft, type 2, norm="ortho"), up to 2001', () => {
    for (const c of fixture<DctCase>('dct.json')) {
      tf.tidy(() => {
        const x = tf.tensor(c.x, c.shape);
        expectClose(spectral.dct(x), c.dct);
        expectClose(spectral.idct(x), c.idct);
      });
    }
  });

  it('fftconv (numpy.convolve(u, k)[:N])', () => {
    for (const c of fixture<FftconvCase>('fftconv.json')) {
      tf.tidy(() => expectClose(spectral.fftconv(tf.tensor(c.u, c.uShape), tf.tensor(c.k, c.kShape)), c.y));
    }
  });

  it('toeplitzMatvec (scipy.linalg.toeplitz)', () => {
    for (const c of fixture<ToeplitzCase>('toeplitz.json')) {
      tf.tidy(() => expectClose(spectral.toeplitzMatvec(tf.tensor1d(c.c), tf.tensor(c.x, [2, c.n])), c.y));
    }
  });
});
