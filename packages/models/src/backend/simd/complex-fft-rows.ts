// Complex FFTs of many rows, and FNet's 2-D mixing, with the SIMD module (real-fft.wat's cfft4
// and rfft8): four complex rows per call in lanes, rows beyond a multiple of four in JavaScript
// (../../spectral/plan). Row groups (and FNet's batch elements) are independent, so slices over
// threads give the bits of one call. No tfjs import: the heap pool's workers run slices of it.
import { fftRows } from '../../spectral/plan/complex-rows.js';
import { rfftBins } from '../../spectral/plan/real-rows.js';
import { MAX_SIMD_FFT_LENGTH, twiddleFloats, twiddles } from './real-fft-rows.js';
import type { RealFftSimd } from './simd-kernels.js';

const ALL_LANES = 0b1111;
/** No such output (an i32 -1 to the module). */
const NONE = -1;

const isPowerOfTwo = (n: number) => n >= 2 && n <= MAX_SIMD_FFT_LENGTH && (n & (n - 1)) === 0;

/** Whether the SIMD path takes complex transforms of length n over `rows` rows. */
export function simdComplexApplies(n: number, rows: number): boolean {
  return isPowerOfTwo(n) && rows >= 4;
}

/** Floats of work area for complex rows: the twiddles, then two buffers of n elements of 8 floats per thread. */
export function complexScratchFloats(n: number, threads: number): number {
  return twiddleFloats(n) + threads * 16 * n;
}

/** One thread's call: the module, the work area (twiddles first) and which thread's buffers. */
export interface ComplexFftCall {
  simd: RealFftSimd;
  scratchAt: number;
  part: number;
  /** Groups of four rows [first, last); the part ending at the last group also runs the rows after them. */
  groups: [number, number];
}

/** fftRows (complex-rows.ts) with groups of four rows in SIMD lanes; twiddles of n at the work area's start. */
export function fftRowsSimd(
  call: ComplexFftCall, re: Float32Array, im: Float32Array, rows: number, n: number,
  outRe: Float32Array, outIm: Float32Array, inverse: boolean, scale: number,
): void {
  const work = call.scratchAt + 4 * (twiddleFloats(n) + call.part * 16 * n);
  const [first, last] = call.groups;
  for (let g = first; g < last; g++) {
    const at = 4 * 4 * g * n;
    call.simd.cfft4(re.byteOffset + at, im.byteOffset + at, 4 * n, 4, n, inverse ? 1 : 0, scale,
      outRe.byteOffset + at, outIm.byteOffset + at, 4 * n, 4, ALL_LANES, NONE, 0, 0, work, call.scratchAt);
  }
  const done = 4 * last;
  if (last === rows >> 2 && done < rows) {
    const tail = (a: Float32Array) => a.subarray(done * n, rows * n);
    fftRows(tail(re), tail(im), rows - done, n, tail(outRe), tail(outIm), inverse, scale);
  }
}

/** Whether the SIMD path takes FNet's mixing of [batch, N, D]. */
export function simdFnetApplies(N: number, D: number): boolean {
  return isPowerOfTwo(N) && isPowerOfTwo(D) && N >= 8;
}

/** Columns of FNet's half spectrum, rounded up to whole groups of four lanes. */
const paddedBins = (D: number) => 4 * Math.ceil(rfftBins(D) / 4);

/** FNet's work area: twiddles of N and of D, then per thread two FFT buffers and the [N, bins] half spectrum. */
export function fnetScratchFloats(N: number, D: number, threads: number): number {
  return twiddleFloats(N) + twiddleFloats(D) + threads * (16 * Math.max(N, D) + 2 * N * paddedBins(D));
}

/** Writes the twiddles of N and D at the start of FNet's work area. */
export function writeFnetTwiddles(scratch: Float32Array, N: number, D: number): void {
  scratch.set(twiddles(N));
  scratch.set(twiddles(D), twiddleFloats(N));
}

export interface FnetCall {
  simd: RealFftSimd;
  scratchAt: number;
  part: number;
  /** Batch elements [first, last). */
  batch: [number, number];
}

/**
 * fnetMixRows (fnet-mix-rows.ts) in SIMD lanes: the rows' half spectra along D eight rows at a
 * time, then the columns along N four at a time, real parts only, the dropped half from the 2-D
 * conjugate symmetry Y[n, D - k] = conj Y[(N - n) mod N, k].
 */
export function fnetMixSimd(call: FnetCall, x: Float32Array, N: number, D: number, y: Float32Array): void {
  const h = rfftBins(D);
  const bins = paddedBins(D);
  const twiddlesN = call.scratchAt;
  const twiddlesD = call.scratchAt + 4 * twiddleFloats(N);
  const perPart = 16 * Math.max(N, D) + 2 * N * bins;
  const work = call.scratchAt + 4 * (twiddleFloats(N) + twiddleFloats(D) + call.part * perPart);
  const spectrumRe = work + 4 * 16 * Math.max(N, D);
  const spectrumIm = spectrumRe + 4 * N * bins;
  const lastInterior = D % 2 === 0 ? D / 2 - 1 : (D - 1) / 2;
  for (let b = call.batch[0]; b < call.batch[1]; b++) {
    const xAt = x.byteOffset + 4 * b * N * D;
    const yAt = y.byteOffset + 4 * b * N * D;
    for (let g = 0; g < N / 8; g++) {
      call.simd.rfft8(xAt + 4 * 8 * g * D, 4 * D, 4, D, D, spectrumRe + 4 * 8 * g * bins, spectrumIm + 4 * 8 * g * bins, 4 * bins, 4, 1, 1, work, twiddlesD);
    }
    for (let k0 = 0; k0 < h; k0 += 4) {
      let lanes = 0;
      let mirrorLanes = 0;
      for (let l = 0; l < 4; l++) {
        const k = k0 + l;
        if (k < h) lanes |= 1 << l;
        if (k >= 1 && k <= lastInterior) mirrorLanes |= 1 << l;
      }
      call.simd.cfft4(spectrumRe + 4 * k0, spectrumIm + 4 * k0, 4, 4 * bins, N, 0, 1,
        yAt + 4 * k0, NONE, 4, 4 * D, lanes, yAt + 4 * (D - k0), -4, mirrorLanes, work, twiddlesN);
    }
  }
}
