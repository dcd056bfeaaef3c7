// The SIMD complex FFTs and FNet's mixing (src/backend/simd/complex-fft-rows.ts over
// real-fft.wat) against the JavaScript rows (float64 arithmetic), and sliced over threads bit for bit.
import { describe, expect, it } from 'vitest';
import { TASK, runPart } from '../../../src/backend/parallel/tasks.js';
import { complexScratchFloats, fftRowsSimd, fnetMixSimd, fnetScratchFloats, writeFnetTwiddles } from '../../../src/backend/simd/complex-fft-rows.js';
import { twiddles } from '../../../src/backend/simd/real-fft-rows.js';
import { realFftSimdFor } from '../../../src/backend/simd/simd-kernels.js';
import { fftRows } from '../../../src/spectral/plan/complex-rows.js';
import { fnetMixRows } from '../../../src/spectral/plan/fnet-mix-rows.js';
import { heapOf, maxAbs, maxDiff } from './memory.js';

const fill = (a: Float32Array, seed: number) => { for (let i = 0; i < a.length; i++) a[i] = Math.sin(i * 0.37 + seed) + 0.3 * Math.cos(i * 2.1); };

describe('the SIMD complex FFTs', () => {
  for (const [rows, n] of [[4, 2], [7, 16], [9, 1024]] as const) {
    for (const inverse of [false, true]) {
      it(`${inverse ? 'inverse' : 'forward'} DFT of ${rows} rows of ${n} as the JavaScript rows`, () => {
        const { memory, arrays } = heapOf(false, [rows * n, rows * n, rows * n, rows * n, complexScratchFloats(n, 1)]);
        const [re, im, outRe, outIm, scratch] = arrays as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
        fill(re, 1);
        fill(im, 2);
        scratch.set(twiddles(n));
        fftRowsSimd({ simd: realFftSimdFor(memory)!, scratchAt: scratch.byteOffset, part: 0, groups: [0, rows >> 2] }, re, im, rows, n, outRe, outIm, inverse, 0.5);
        const want = { re: new Float32Array(rows * n), im: new Float32Array(rows * n) };
        fftRows(re, im, rows, n, want.re, want.im, inverse, 0.5);
        const tol = 3e-7 * (1 + Math.log2(n)) * maxAbs(want.re) + 1e-7;
        expect(maxDiff(outRe, want.re)).toBeLessThan(tol);
        expect(maxDiff(outIm, want.im)).toBeLessThan(tol);
      });
    }
  }

  for (const [batch, N, D] of [[2, 8, 4], [3, 16, 64], [1, 64, 2], [2, 256, 8]] as const) {
    it(`FNet's mixing of [${batch}, ${N}, ${D}] as the JavaScript rows`, () => {
      const size = batch * N * D;
      const { memory, arrays } = heapOf(false, [size, size, fnetScratchFloats(N, D, 1)]);
      const [x, y, scratch] = arrays as [Float32Array, Float32Array, Float32Array];
      fill(x, 3);
      writeFnetTwiddles(scratch, N, D);
      fnetMixSimd({ simd: realFftSimdFor(memory)!, scratchAt: scratch.byteOffset, part: 0, batch: [0, batch] }, x, N, D, y);
      const want = new Float32Array(size);
      fnetMixRows(x, batch, N, D, want);
      expect(maxDiff(y, want)).toBeLessThan(3e-7 * (2 + Math.log2(N * D)) * maxAbs(want) + 1e-7);
    });
  }

  it('give the bits of one call when a job is sliced over threads', () => {
    const [rows, n, batch, N, D] = [11, 64, 5, 32, 16];
    const parts = 7;
    const { memory, arrays } = heapOf(true, [rows * n, rows * n, rows * n, rows * n, complexScratchFloats(n, parts), batch * N * D, batch * N * D, fnetScratchFloats(N, D, parts)]);
    const [re, im, outRe, outIm, scratch, x, y, fnetScratch] = arrays as Float32Array[] as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    fill(re, 4);
    fill(im, 5);
    fill(x, 6);
    scratch.set(twiddles(n));
    writeFnetTwiddles(fnetScratch, N, D);
    const simd = realFftSimdFor(memory)!;
    fftRowsSimd({ simd, scratchAt: scratch.byteOffset, part: 0, groups: [0, rows >> 2] }, re, im, rows, n, outRe, outIm, true, 1);
    fnetMixSimd({ simd, scratchAt: fnetScratch.byteOffset, part: 0, batch: [0, batch] }, x, N, D, y);
    const want = { re: outRe.slice(), im: outIm.slice(), y: y.slice() };
    for (const count of [2, 3, parts]) {
      for (const a of [outRe, outIm, y]) a.fill(Number.NaN);
      const fft = Float64Array.from([TASK.fft, re.byteOffset, im.byteOffset, outRe.byteOffset, outIm.byteOffset, rows, n, 1, 1, scratch.byteOffset]);
      const fnet = Float64Array.from([TASK.fnetMix, x.byteOffset, y.byteOffset, batch, N, D, fnetScratch.byteOffset]);
      for (let part = 0; part < count; part++) {
        runPart(memory.buffer, fft, part, count, undefined, memory);
        runPart(memory.buffer, fnet, part, count, undefined, memory);
      }
      expect([outRe, outIm, y]).toEqual([want.re, want.im, want.y]);
    }
  });
});
