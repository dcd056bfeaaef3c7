// Batched real FFTs on float32 rows. Two real rows travel as one complex transform,
// z = x1 + i x2, which works for every length (odd and prime included); the two spectra are
// separated by Hermitian symmetry: X1_k = (Z_k + conj Z_{n-k}) / 2, X2_k = (Z_k - conj Z_{n-k}) / 2i.
//
// Rows need not be contiguous: with `inner` > 1 the transform runs along the middle axis of
// [outer, length, inner] (row r = o * inner + c starts at o * length * inner + c, its samples
// `inner` apart), so a transform along the sequence axis of [B, N, D] reads and writes the
// tensors where they lie instead of transposing them to [B, D, N] and back.
import { complexFft } from './complex-fft.js';
import { WorkBuffers, type Doubles } from './work-buffers.js';

const buffers = new WorkBuffers(2);

/** Number of bins of a real transform of length n. */
export function rfftBins(n: number): number {
  return (n >> 1) + 1;
}

/**
 * zr[j] = x[o1 + j stride] and zi[j] = x[o2 + j stride] (0 when o2 < 0) for j < length, zeros up to n: the
 * pair z = x1 + i x2 in one pass.
 */
function loadPair(zr: Doubles, zi: Doubles, x: Float32Array, o1: number, o2: number, length: number, n: number, stride: number): void {
  if (o2 < 0) {
    for (let j = 0, a = o1; j < length; j++, a += stride) zr[j] = x[a]!;
    zi.fill(0, 0, n);
  } else {
    for (let j = 0, a = o1, b = o2; j < length; j++, a += stride, b += stride) {
      zr[j] = x[a]!;
      zi[j] = x[b]!;
    }
    if (length < n) zi.fill(0, length, n);
  }
  if (length < n) zr.fill(0, length, n);
}

/**
 * Writes the half spectra of x1 and x2 from Z = FFT(x1 + i x2) (in zr, zi) at o1 and o2 of the
 * outputs, bins `stride` apart (o2 < 0: x2 is not wanted), times `edge` at DC and Nyquist and
 * `interior` elsewhere.
 */
function storePairSpectra(
  zr: Doubles, zi: Doubles, n: number,
  outRe: Float32Array, outIm: Float32Array, o1: number, o2: number, stride: number, edge: number, interior: number,
): void {
  const half = interior * 0.5;
  const lastInterior = (n - 1) >> 1;
  outRe[o1] = zr[0]! * edge;
  outIm[o1] = 0;
  if (o2 < 0) {
    for (let k = 1, a = o1 + stride; k <= lastInterior; k++, a += stride) {
      outRe[a] = (zr[k]! + zr[n - k]!) * half;
      outIm[a] = (zi[k]! - zi[n - k]!) * half;
    }
  } else {
    outRe[o2] = zi[0]! * edge;
    outIm[o2] = 0;
    for (let k = 1, a = o1 + stride, b = o2 + stride; k <= lastInterior; k++, a += stride, b += stride) {
      const pr = zr[k]!, pi = zi[k]!, qr = zr[n - k]!, qi = zi[n - k]!;
      outRe[a] = (pr + qr) * half;
      outIm[a] = (pi - qi) * half;
      outRe[b] = (pi + qi) * half;
      outIm[b] = (qr - pr) * half;
    }
  }
  if (n % 2 === 0 && n > 0) {
    const k = n >> 1;
    outRe[o1 + k * stride] = zr[k]! * edge;
    outIm[o1 + k * stride] = 0;
    if (o2 >= 0) {
      outRe[o2 + k * stride] = zi[k]! * edge;
      outIm[o2 + k * stride] = 0;
    }
  }
}

/** Which rows a call transforms and how they lie: see the top of this file. */
export interface RowLayout {
  /** Elements after the transform axis (1: rows are contiguous). Default 1. */
  inner?: number;
  /** The first row (even, so the pairs are those of a whole call) and the end of the range. Default: all rows. */
  first?: number;
  last?: number;
}

/** Start of row r of [outer, length, inner]. */
function rowStart(r: number, length: number, inner: number): number {
  if (inner === 1) return r * length;
  const o = Math.floor(r / inner);
  return o * length * inner + (r - o * inner);
}

/**
 * rfft of `rows` rows of `inLength` samples, each zero-padded or truncated to n; writes
 * floor(n/2)+1 bins per row, times `scale`, with the interior bins (neither DC nor Nyquist)
 * also times `interiorWeight` (2 gives the adjoint of irfft).
 */
export function rfftRows(
  x: Float32Array, rows: number, inLength: number, n: number,
  outRe: Float32Array, outIm: Float32Array, scale: number, interiorWeight: number, layout: RowLayout = {},
): void {
  const { inner = 1, first = 0, last = rows } = layout;
  const plan = complexFft(n);
  const h = rfftBins(n);
  const copyLength = Math.min(inLength, n);
  const [zr, zi] = buffers.get(n) as [Doubles, Doubles];
  for (let r = first; r < last; r += 2) {
    const paired = r + 1 < rows;
    loadPair(zr, zi, x, rowStart(r, inLength, inner), paired ? rowStart(r + 1, inLength, inner) : -1, copyLength, n, inner);
    plan.forward(zr, zi);
    storePairSpectra(zr, zi, n, outRe, outIm, rowStart(r, h, inner), paired ? rowStart(r + 1, h, inner) : -1, inner, scale, scale * interiorWeight);
  }
}

/**
 * Builds Z = X1 + i X2 over all n bins from the half spectra at o1 and o2, bins `stride` apart
 * (o2 < 0: X2 = 0), the upper half by conjugate symmetry, dropping the imaginary parts of DC and
 * Nyquist and weighting interior bins by v.
 */
function loadPairSpectra(
  re: Float32Array, im: Float32Array, o1: number, o2: number, stride: number, n: number, v: number,
  zr: Doubles, zi: Doubles,
): void {
  const lastInterior = (n - 1) >> 1;
  const even = n % 2 === 0;
  if (o2 < 0) {
    zr[0] = re[o1]!;
    zi[0] = 0;
    for (let k = 1, a = o1 + stride; k <= lastInterior; k++, a += stride) {
      const p = re[a]! * v, q = im[a]! * v;
      zr[k] = p;
      zi[k] = q;
      zr[n - k] = p;
      zi[n - k] = -q;
    }
    if (even) {
      zr[n >> 1] = re[o1 + (n >> 1) * stride]!;
      zi[n >> 1] = 0;
    }
    return;
  }
  zr[0] = re[o1]!;
  zi[0] = re[o2]!;
  for (let k = 1, a = o1 + stride, b = o2 + stride; k <= lastInterior; k++, a += stride, b += stride) {
    const a1 = re[a]! * v, b1 = im[a]! * v, a2 = re[b]! * v, b2 = im[b]! * v;
    zr[k] = a1 - b2;
    zi[k] = b1 + a2;
    zr[n - k] = a1 + b2;
    zi[n - k] = a2 - b1;
  }
  if (even) {
    zr[n >> 1] = re[o1 + (n >> 1) * stride]!;
    zi[n >> 1] = re[o2 + (n >> 1) * stride]!;
  }
}

/** The real and imaginary parts of z, times scale, as rows at o1 and o2 (o2 < 0: none) of y, samples `stride` apart. */
function storePair(
  y: Float32Array, o1: number, o2: number, stride: number, zr: Doubles, zi: Doubles, length: number, outLength: number, scale: number,
): void {
  if (o2 < 0) {
    for (let j = 0, a = o1; j < length; j++, a += stride) y[a] = zr[j]! * scale;
  } else {
    for (let j = 0, a = o1, b = o2; j < length; j++, a += stride, b += stride) {
      y[a] = zr[j]! * scale;
      y[b] = zi[j]! * scale;
    }
    for (let j = length, b = o2 + length * stride; j < outLength; j++, b += stride) y[b] = 0;
  }
  for (let j = length, a = o1 + length * stride; j < outLength; j++, a += stride) y[a] = 0;
}

/**
 * irfft of `rows` rows of floor(n/2)+1 bins into rows of `outLength` samples (the first
 * min(n, outLength) of the length-n signal, then zeros), times `scale`. The imaginary parts of
 * DC and Nyquist are ignored, as numpy does; interior bins are first multiplied by
 * `interiorWeight` (0.5 gives the adjoint of rfft).
 */
export function irfftRows(
  re: Float32Array, im: Float32Array, rows: number, n: number,
  y: Float32Array, outLength: number, scale: number, interiorWeight: number, layout: RowLayout = {},
): void {
  const { inner = 1, first = 0, last = rows } = layout;
  const plan = complexFft(n);
  const h = rfftBins(n);
  const copyLength = Math.min(outLength, n);
  const [zr, zi] = buffers.get(n) as [Doubles, Doubles];
  for (let r = first; r < last; r += 2) {
    const paired = r + 1 < rows;
    loadPairSpectra(re, im, rowStart(r, h, inner), paired ? rowStart(r + 1, h, inner) : -1, inner, n, interiorWeight, zr, zi);
    // Swapped arguments: the unscaled inverse transform.
    plan.forward(zi, zr);
    storePair(y, rowStart(r, outLength, inner), paired ? rowStart(r + 1, outLength, inner) : -1, inner, zr, zi, copyLength, outLength, scale);
  }
}
