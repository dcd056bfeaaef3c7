// The SIMD real FFTs (src/backend/simd/real-fft.wat through real-fft-rows.ts) against the
// JavaScript rows (float64 arithmetic): contiguous rows and the middle axis of [outer, n, inner],
// padding and truncation, rows beyond a multiple of eight; and slices over the heap's threads
// bit for bit.
import { describe, expect, it } from 'vitest';
import { TASK, runPart } from '../../../src/backend/parallel/tasks.js';
import { irfftRowsSimd, rfftRowsSimd, simdFftApplies, simdFftScratchFloats, writeTwiddles } from '../../../src/backend/simd/real-fft-rows.js';
import { realFftSimdFor, simdFailure } from '../../../src/backend/simd/simd-kernels.js';
import { irfftRows, rfftBins, rfftRows } from '../../../src/spectral/plan/real-rows.js';
import { heapOf, maxAbs, maxDiff } from './memory.js';

describe('the SIMD real FFTs', () => {
  it('take powers of two, eight rows or more, and inner widths that are multiples of eight', () => {
    expect(simdFftApplies(4096, 512, 1)).toBe(true);
    expect(simdFftApplies(4096, 512, 64)).toBe(true);
    expect(simdFftApplies(4096, 512, 12)).toBe(false);
    expect(simdFftApplies(1000, 512, 1)).toBe(false);
    expect(simdFftApplies(4096, 7, 1)).toBe(false);
  });

  // [outer, inner (1: contiguous rows), rows when contiguous, n, input length]
  const cases = [
    [1, 1, 8, 8, 8], [1, 1, 13, 64, 60], [1, 1, 16, 2, 3], [1, 1, 9, 4096, 4096],
    [2, 8, 0, 16, 16], [3, 16, 0, 256, 200], [2, 64, 0, 1024, 1024],
  ] as const;
  for (const shared of [false, true]) {
    for (const [outer, inner, contiguousRows, n, length] of cases) {
      const rows = inner === 1 ? contiguousRows : outer * inner;
      it(`rfft and irfft of ${rows} rows (inner ${inner}), n ${n}, length ${length}, ${shared ? 'shared' : 'plain'} memory, as the JavaScript rows`, () => {
        const h = rfftBins(n);
        const outLength = length + 1;
        const scratchFloats = simdFftScratchFloats(n, 1);
        const { memory, arrays } = heapOf(shared, [rows * length, rows * h, rows * h, rows * outLength, scratchFloats]);
        const [x, re, im, y, scratch] = arrays as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
        for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37) + 0.5 * Math.cos(i * 1.9);
        const simd = realFftSimdFor(memory);
        expect(simd, simdFailure()).not.toBeNull();
        writeTwiddles(scratch, n);
        const call = { simd: simd!, scratchAt: scratch.byteOffset, part: 0, groups: [0, rows >> 3] as [number, number] };
        rfftRowsSimd(call, x, rows, length, n, re, im, 0.5, 2, inner);
        const want = { re: new Float32Array(rows * h), im: new Float32Array(rows * h) };
        rfftRows(x, rows, length, n, want.re, want.im, 0.5, 2, { inner });
        // float32 butterflies against float64 ones: log2(n) roundings of values up to the largest bin.
        const tol = 3e-7 * (1 + Math.log2(n)) * maxAbs(want.re) + 1e-7;
        expect(maxDiff(re, want.re)).toBeLessThan(tol);
        expect(maxDiff(im, want.im)).toBeLessThan(tol);
        // Back, into one more sample than the length (a zero) or fewer.
        // The same spectra on the heap for both.
        re.set(want.re);
        im.set(want.im);
        irfftRowsSimd(call, re, im, rows, n, y, outLength, 1 / n, 0.5, inner);
        const back = new Float32Array(rows * outLength);
        irfftRows(want.re, want.im, rows, n, back, outLength, 1 / n, 0.5, { inner });
        expect(maxDiff(y, back)).toBeLessThan(3e-7 * (1 + Math.log2(n)) * maxAbs(back) + 1e-7);
        for (let i = 0; i < y.length; i++) if (back[i] === 0) expect(y[i]).toBe(0);
      });
    }
  }

  it('gives the bits of one call when a job is sliced over threads', () => {
    const [rows, n] = [43, 128];
    const h = rfftBins(n);
    const parts = 7;
    const { memory, arrays } = heapOf(true, [rows * n, rows * h, rows * h, rows * n, simdFftScratchFloats(n, parts)]);
    const [x, re, im, y, scratch] = arrays as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    for (let i = 0; i < x.length; i++) x[i] = Math.cos(i * 0.11);
    writeTwiddles(scratch, n);
    const simd = realFftSimdFor(memory)!;
    rfftRowsSimd({ simd, scratchAt: scratch.byteOffset, part: 0, groups: [0, rows >> 3] }, x, rows, n, n, re, im, 1, 1, 1);
    irfftRowsSimd({ simd, scratchAt: scratch.byteOffset, part: 0, groups: [0, rows >> 3] }, re, im, rows, n, y, n, 1 / n, 1, 1);
    const want = { re: re.slice(), im: im.slice(), y: y.slice() };
    for (const count of [2, 3, parts]) {
      for (const a of [re, im, y]) a.fill(Number.NaN);
      const forward = Float64Array.from([TASK.rfft, x.byteOffset, re.byteOffset, im.byteOffset, rows, n, n, 1, 1, 1, scratch.byteOffset]);
      for (let part = 0; part < count; part++) runPart(memory.buffer, forward, part, count, undefined, memory);
      expect([re, im]).toEqual([want.re, want.im]);
      const inverse = Float64Array.from([TASK.irfft, re.byteOffset, im.byteOffset, y.byteOffset, rows, n, n, 1 / n, 1, 1, scratch.byteOffset]);
      for (let part = 0; part < count; part++) runPart(memory.buffer, inverse, part, count, undefined, memory);
      expect(y).toEqual(want.y);
    }
  });
});
