// rfft and irfft of many rows with the SIMD module (real-fft.wat): groups of eight rows in SIMD
// lanes, any rows beyond a multiple of eight in JavaScript (../../spectral/plan/real-rows.ts).
// Groups are independent, so slices of groups over threads give the bits of one call. No tfjs
// import: the heap pool's workers run slices of it.
import { irfftRows, rfftBins, rfftRows } from '../../spectral/plan/real-rows.js';
import type { RealFftSimd } from './simd-kernels.js';

/** Powers of two up to this take the SIMD path (its work area grows with n). */
export const MAX_SIMD_FFT_LENGTH = 1 << 16;

/** Whether the SIMD path takes a transform of length n over rows laid out with `inner`. */
export function simdFftApplies(n: number, rows: number, inner: number): boolean {
  return n >= 2 && n <= MAX_SIMD_FFT_LENGTH && (n & (n - 1)) === 0 && rows >= 8 && (inner === 1 || inner % 8 === 0);
}

/** Floats of the twiddle table of length n: exp(-2 pi i k / n) for k < n, as (re, im) pairs. */
export const twiddleFloats = (n: number): number => 2 * n;

/** Floats of work area: the twiddles, then two buffers of n elements of 8 floats per thread. */
export function simdFftScratchFloats(n: number, threads: number): number {
  return twiddleFloats(n) + threads * 16 * n;
}

const twiddleCache = new Map<number, Float32Array>();

/** exp(-2 pi i k / n) for k < n as float32 (re, im) pairs (the radix-4 stages reach k = 3n/4). */
export function twiddles(n: number): Float32Array {
  let table = twiddleCache.get(n);
  if (table === undefined) {
    table = new Float32Array(twiddleFloats(n));
    for (let k = 0; k < n; k++) {
      table[2 * k] = Math.cos((2 * Math.PI * k) / n);
      table[2 * k + 1] = -Math.sin((2 * Math.PI * k) / n);
    }
    twiddleCache.set(n, table);
  }
  return table;
}

/** Writes the twiddles of n at the start of the work area (once per call, before any slice runs). */
export function writeTwiddles(scratch: Float32Array, n: number): void {
  scratch.set(twiddles(n));
}

/** Where group g's rows start in a tensor whose transform axis has `length` entries, in bytes from the tensor. */
function groupStart(g: number, length: number, inner: number): { at: number; rowStep: number; step: number } {
  if (inner === 1) return { at: 4 * 8 * g * length, rowStep: 4 * length, step: 4 };
  const r = 8 * g;
  const o = Math.floor(r / inner);
  return { at: 4 * (o * length * inner + (r - o * inner)), rowStep: 4, step: 4 * inner };
}

export interface SimdFftCall {
  simd: RealFftSimd;
  /** Byte offset of the work area (twiddles first). */
  scratchAt: number;
  /** Which thread's buffers: 0 for the main thread's own call. */
  part: number;
  /** Groups [first, last) of eight rows; the part whose range ends at the last group also runs the rows after them. */
  groups: [number, number];
}

function workAt(call: SimdFftCall, n: number): number {
  return call.scratchAt + 4 * (twiddleFloats(n) + call.part * 16 * n);
}

/**
 * Runs `group` for each group of the call with where its rows start in the input and the output
 * (axis lengths inLength and outLength), then `tail` for the rows after the last whole group when
 * this call's range ends there.
 */
function eachGroup(
  call: SimdFftCall, rows: number, inner: number, inLength: number, outLength: number,
  group: (input: ReturnType<typeof groupStart>, output: ReturnType<typeof groupStart>) => void, tail: (first: number) => void,
): void {
  const [first, last] = call.groups;
  for (let g = first; g < last; g++) group(groupStart(g, inLength, inner), groupStart(g, outLength, inner));
  if (last === Math.floor(rows / 8) && rows % 8 !== 0) tail(8 * last);
}

/** rfftRows (real-rows.ts) with groups of eight rows in SIMD lanes. */
export function rfftRowsSimd(
  call: SimdFftCall, x: Float32Array, rows: number, inLength: number, n: number,
  re: Float32Array, im: Float32Array, scale: number, interiorWeight: number, inner: number,
): void {
  const work = workAt(call, n);
  eachGroup(call, rows, inner, inLength, rfftBins(n),
    (input, output) => call.simd.rfft8(x.byteOffset + input.at, input.rowStep, input.step, inLength, n,
      re.byteOffset + output.at, im.byteOffset + output.at, output.rowStep, output.step, scale, scale * interiorWeight, work, call.scratchAt),
    (first) => rfftRows(x, rows, inLength, n, re, im, scale, interiorWeight, { inner, first, last: rows }));
}

/** irfftRows (real-rows.ts) with groups of eight rows in SIMD lanes. */
export function irfftRowsSimd(
  call: SimdFftCall, re: Float32Array, im: Float32Array, rows: number, n: number,
  y: Float32Array, outLength: number, scale: number, interiorWeight: number, inner: number,
): void {
  const work = workAt(call, n);
  eachGroup(call, rows, inner, rfftBins(n), outLength,
    (input, output) => call.simd.irfft8(re.byteOffset + input.at, im.byteOffset + input.at, input.rowStep, input.step, n,
      y.byteOffset + output.at, output.rowStep, output.step, outLength, scale, interiorWeight, work, call.scratchAt),
    (first) => irfftRows(re, im, rows, n, y, outLength, scale, interiorWeight, { inner, first, last: rows }));
}
