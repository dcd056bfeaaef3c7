// The transform layer on float64/float32 arrays, against dense DFT sums.
import { describe, expect, it } from 'vitest';
import { complexFft } from '../../src/spectral/plan/complex-fft.js';
import { dctRows, idctRows } from '../../src/spectral/plan/dct-rows.js';
import { mixedRadices, nextFastLength, primeFactors } from '../../src/spectral/plan/factorize.js';
import { fnetMixRows } from '../../src/spectral/plan/fnet-mix-rows.js';
import { irfftRows, rfftBins, rfftRows } from '../../src/spectral/plan/real-rows.js';
import { doublesFrom } from '../../src/spectral/plan/work-buffers.js';
import { seededUniform } from '../support/random.js';
import { dctRef, denseDft, fft2Ref, irfftRef, maxAbs, maxAbsDiff, rfftRef } from './reference.js';

describe('factorisation', () => {
  it('factors lengths and picks radices whose product is the length', () => {
    expect(primeFactors(2001)).toEqual([3, 23, 29]);
    expect(primeFactors(4096)).toEqual(Array(12).fill(2));
    expect(mixedRadices(2048)).toEqual([8, 8, 8, 4]);
    expect(mixedRadices(1024)).toEqual([8, 8, 4, 4]);
    expect(mixedRadices(4096)).toEqual([8, 8, 8, 8]);
    expect(mixedRadices(8192)).toEqual([4, 4, 4, 4, 4, 4, 2]);
    expect(mixedRadices(2)).toEqual([2]);
    expect(mixedRadices(1000)).toEqual([8, 5, 5, 5]);
    expect(mixedRadices(2 * 61)).toBeNull();
    for (const n of [1, 6, 96, 2001, 4000, 3 * 7 * 11 * 13]) {
      expect(mixedRadices(n)!.reduce((a, b) => a * b, 1)).toBe(n);
    }
  });

  it('finds the next 5-smooth length', () => {
    expect(nextFastLength(4001)).toBe(4050);
    expect(nextFastLength(2047)).toBe(2048);
    expect(nextFastLength(1999)).toBe(2000);
    expect(nextFastLength(7)).toBe(8);
    expect(nextFastLength(2 * 1021 - 1)).toBe(2048);
    expect(nextFastLength(1)).toBe(1);
  });
});

describe('complex FFT plans', () => {
  // Radix 2/3/4/5/8, generic odd radices (7..59), Bluestein (61, 97, 1021, 4099), LRA lengths,
  // and multiples of 4096 above it (radix 4 only).
  const lengths = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 16, 17, 25, 27, 29, 31, 32, 37, 49, 53, 60, 61, 64, 97, 100, 121, 128, 210, 256, 343, 512, 1000, 1021, 2001, 2048, 4096, 4099, 8192];

  it.each(lengths)('length %i matches the dense DFT and inverts', (n) => {
    const re = seededUniform(`plan-re-${n}`, n);
    const im = seededUniform(`plan-im-${n}`, n);
    const expected = denseDft({ re, im }, 1, n, false, 1);
    const yr = doublesFrom(re);
    const yi = doublesFrom(im);
    complexFft(n).forward(yr, yi);
    // Dense sums accumulate ~n ulps; the FFT error grows like log n.
    const tol = 1e-13 * n;
    expect(maxAbsDiff(yr, expected.re)).toBeLessThan(tol);
    expect(maxAbsDiff(yi, expected.im)).toBeLessThan(tol);
    complexFft(n).forward(yi, yr);
    expect(maxAbsDiff(yr.map((v) => v / n), re)).toBeLessThan(1e-14 * Math.log2(n + 1) + 1e-15);
    expect(maxAbsDiff(yi.map((v) => v / n), im)).toBeLessThan(1e-14 * Math.log2(n + 1) + 1e-15);
  });

  it('reuses one cached plan per length', () => {
    expect(complexFft(360)).toBe(complexFft(360));
  });
});

describe('row transforms', () => {
  const f32 = (seed: string, count: number) => Float32Array.from(seededUniform(seed, count));

  it.each([1, 2, 3, 5, 8, 17, 64, 100])('rfftRows/irfftRows, n = %i, 3 rows, with padding and truncation', (n) => {
    for (const inLength of [n, n + 2, Math.max(1, n - 1)]) {
      const rows = 3;
      const x = f32(`rows-${n}-${inLength}`, rows * inLength);
      const h = rfftBins(n);
      const re = new Float32Array(rows * h);
      const im = new Float32Array(rows * h);
      rfftRows(x, rows, inLength, n, re, im, 1, 1);
      const expected = rfftRef(x, rows, inLength, n);
      expect(maxAbsDiff(re, expected.re)).toBeLessThan(1e-5 * n);
      expect(maxAbsDiff(im, expected.im)).toBeLessThan(1e-5 * n);
      const y = new Float32Array(rows * (n + 1));
      irfftRows(re, im, rows, n, y, n + 1, 1 / n, 1);
      const back = irfftRef({ re: Float64Array.from(re), im: Float64Array.from(im) }, rows, h, n);
      for (let r = 0; r < rows; r++) {
        expect(maxAbsDiff(y.subarray(r * (n + 1), r * (n + 1) + n), back.subarray(r * n, (r + 1) * n))).toBeLessThan(1e-5);
        expect(y[r * (n + 1) + n]).toBe(0);
      }
    }
  });

  it.each([
    [2, 8, 3, 8],
    [3, 12, 5, 16],
    [2, 9, 4, 7],
    [1, 16, 2, 16],
  ])('rfftRows/irfftRows along the middle axis of [%i, %i, %i] (n = %i) match the transposed rows bit for bit', (outer, length, inner, n) => {
    // [outer, length, inner] -> [outer, inner, length] and back.
    const swap = (a: Float32Array, m: number, k: number) => {
      const out = new Float32Array(a.length);
      for (let o = 0; o < outer; o++) for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) out[o * m * k + j * m + i] = a[o * m * k + i * k + j]!;
      return out;
    };
    const rows = outer * inner;
    const h = rfftBins(n);
    const x = f32(`middle-${outer}-${length}-${inner}-${n}`, rows * length);
    const [re, im] = [new Float32Array(rows * h), new Float32Array(rows * h)];
    rfftRows(x, rows, length, n, re, im, 0.5, 2, { inner });
    const [rowRe, rowIm] = [new Float32Array(rows * h), new Float32Array(rows * h)];
    rfftRows(swap(x, length, inner), rows, length, n, rowRe, rowIm, 0.5, 2);
    expect(swap(re, h, inner)).toEqual(rowRe);
    expect(swap(im, h, inner)).toEqual(rowIm);
    // irfft back to length + 1 samples (the last zero), and over a range of rows only.
    const outLength = length + 1;
    const y = new Float32Array(rows * outLength).fill(Number.NaN);
    irfftRows(re, im, rows, n, y, outLength, 1 / n, 0.5, { inner });
    const rowY = new Float32Array(rows * outLength);
    irfftRows(rowRe, rowIm, rows, n, rowY, outLength, 1 / n, 0.5);
    expect(swap(y, outLength, inner)).toEqual(rowY);
    const part = new Float32Array(rows * outLength).fill(Number.NaN);
    const split = 2 * Math.floor(rows / 4);
    irfftRows(re, im, rows, n, part, outLength, 1 / n, 0.5, { inner, first: 0, last: split });
    irfftRows(re, im, rows, n, part, outLength, 1 / n, 0.5, { inner, first: split, last: rows });
    expect(part).toEqual(y);
  });

  it.each([1, 2, 3, 7, 8, 16, 33])('dctRows/idctRows, n = %i', (n) => {
    const rows = 3;
    const x = f32(`dct-${n}`, rows * n);
    const y = new Float32Array(rows * n);
    dctRows(x, rows, n, y);
    expect(maxAbsDiff(y, dctRef(x, rows, n))).toBeLessThan(1e-5);
    const back = new Float32Array(rows * n);
    idctRows(y, rows, n, back);
    expect(maxAbsDiff(back, x)).toBeLessThan(1e-5);
  });

  it.each([
    [2, 5, 4],
    [1, 8, 7],
    [3, 6, 6],
    [1, 1, 5],
    [2, 7, 1],
    [1, 16, 64],
  ])('fnetMixRows on [%i, %i, %i] is Re of the dense 2-D DFT', (batch, N, D) => {
    const x = f32(`fnet-${batch}-${N}-${D}`, batch * N * D);
    const y = new Float32Array(x.length);
    fnetMixRows(x, batch, N, D, y);
    const expected = fft2Ref(x, batch, N, D).re;
    expect(maxAbsDiff(y, expected)).toBeLessThan(2e-6 * maxAbs(expected) + 1e-6);
  });
});
