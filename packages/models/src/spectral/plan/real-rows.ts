// Batched real FFTs on float32 rows. Two real rows travel as one complex transform,
// z = x1 + i x2, which works for every length (odd and prime included); the two spectra are
// separated by Hermitian symmetry: X1_k = (Z_k + conj Z_{n-k}) / 2, X2_k = (Z_k - conj Z_{n-k}) / 2i.
import { complexFft } from './complex-fft.js';
import { WorkBuffers, type Doubles } from './work-buffers.js';

const buffers = new WorkBuffers(2);

/** Number of bins of a real transform of length n. */
export function rfftBins(n: number): number {
  return (n >> 1) + 1;
}

/**
 * zr[j] = x[o1 + j] and zi[j] = x[o2 + j] (0 when o2 < 0) for j < length, zeros up to n: the
 * pair z = x1 + i x2 in one pass.
 */
function loadPair(zr: Doubles, zi: Doubles, x: Float32Array, o1: number, o2: number, length: number, n: number): void {
  if (o2 < 0) {
    for (let j = 0; j < length; j++) zr[j] = x[o1 + j]!;
    zi.fill(0, 0, n);
  } else {
    for (let j = 0; j < length; j++) {
      zr[j] = x[o1 + j]!;
      zi[j] = x[o2 + j]!;
    }
    if (length < n) zi.fill(0, length, n);
  }
  if (length < n) zr.fill(0, length, n);
}

/**
 * Writes the half spectra of x1 and x2 from Z = FFT(x1 + i x2) (in zr, zi) at o1 and o2 of the
 * outputs (o2 < 0: x2 is not wanted), times `edge` at DC and Nyquist and `interior` elsewhere.
 */
function storePairSpectra(
  zr: Doubles, zi: Doubles, n: number,
  outRe: Float32Array, outIm: Float32Array, o1: number, o2: number, edge: number, interior: number,
): void {
  const half = interior * 0.5;
  const lastInterior = (n - 1) >> 1;
  outRe[o1] = zr[0]! * edge;
  outIm[o1] = 0;
  if (o2 < 0) {
    for (let k = 1; k <= lastInterior; k++) {
      outRe[o1 + k] = (zr[k]! + zr[n - k]!) * half;
      outIm[o1 + k] = (zi[k]! - zi[n - k]!) * half;
    }
  } else {
    outRe[o2] = zi[0]! * edge;
    outIm[o2] = 0;
    for (let k = 1; k <= lastInterior; k++) {
      const pr = zr[k]!, pi = zi[k]!, qr = zr[n - k]!, qi = zi[n - k]!;
      outRe[o1 + k] = (pr + qr) * half;
      outIm[o1 + k] = (pi - qi) * half;
      outRe[o2 + k] = (pi + qi) * half;
      outIm[o2 + k] = (qr - pr) * half;
    }
  }
  if (n % 2 === 0 && n > 0) {
    const k = n >> 1;
    outRe[o1 + k] = zr[k]! * edge;
    outIm[o1 + k] = 0;
    if (o2 >= 0) {
      outRe[o2 + k] = zi[k]! * edge;
      outIm[o2 + k] = 0;
    }
  }
}

/**
 * rfft of `rows` rows of `inLength` samples, each zero-padded or truncated to n; writes
 * floor(n/2)+1 bins per row, times `scale`, with the interior bins (neither DC nor Nyquist)
 * also times `interiorWeight` (2 gives the adjoint of irfft).
 */
export function rfftRows(
  x: Float32Array, rows: number, inLength: number, n: number,
  outRe: Float32Array, outIm: Float32Array, scale: number, interiorWeight: number,
): void {
  const plan = complexFft(n);
  const h = rfftBins(n);
  const copyLength = Math.min(inLength, n);
  const [zr, zi] = buffers.get(n) as [Doubles, Doubles];
  for (let r = 0; r < rows; r += 2) {
    const paired = r + 1 < rows;
    loadPair(zr, zi, x, r * inLength, paired ? (r + 1) * inLength : -1, copyLength, n);
    plan.forward(zr, zi);
    storePairSpectra(zr, zi, n, outRe, outIm, r * h, paired ? (r + 1) * h : -1, scale, scale * interiorWeight);
  }
}

/**
 * Builds Z = X1 + i X2 over all n bins from the half spectra at o1 and o2 (o2 < 0: X2 = 0), the
 * upper half by conjugate symmetry, dropping the imaginary parts of DC and Nyquist and
 * weighting interior bins by v.
 */
function loadPairSpectra(
  re: Float32Array, im: Float32Array, o1: number, o2: number, n: number, v: number,
  zr: Doubles, zi: Doubles,
): void {
  const lastInterior = (n - 1) >> 1;
  const even = n % 2 === 0;
  if (o2 < 0) {
    zr[0] = re[o1]!;
    zi[0] = 0;
    for (let k = 1; k <= lastInterior; k++) {
      const a = re[o1 + k]! * v, b = im[o1 + k]! * v;
      zr[k] = a;
      zi[k] = b;
      zr[n - k] = a;
      zi[n - k] = -b;
    }
    if (even) {
      zr[n >> 1] = re[o1 + (n >> 1)]!;
      zi[n >> 1] = 0;
    }
    return;
  }
  zr[0] = re[o1]!;
  zi[0] = re[o2]!;
  for (let k = 1; k <= lastInterior; k++) {
    const a1 = re[o1 + k]! * v, b1 = im[o1 + k]! * v, a2 = re[o2 + k]! * v, b2 = im[o2 + k]! * v;
    zr[k] = a1 - b2;
    zi[k] = b1 + a2;
    zr[n - k] = a1 + b2;
    zi[n - k] = a2 - b1;
  }
  if (even) {
    zr[n >> 1] = re[o1 + (n >> 1)]!;
    zi[n >> 1] = re[o2 + (n >> 1)]!;
  }
}

/** The real and imaginary parts of z, times scale, as rows at o1 and o2 (o2 < 0: none) of y. */
function storePair(
  y: Float32Array, o1: number, o2: number, zr: Doubles, zi: Doubles, length: number, outLength: number, scale: number,
): void {
  if (o2 < 0) {
    for (let j = 0; j < length; j++) y[o1 + j] = zr[j]! * scale;
  } else {
    for (let j = 0; j < length; j++) {
      y[o1 + j] = zr[j]! * scale;
      y[o2 + j] = zi[j]! * scale;
    }
    if (length < outLength) y.fill(0, o2 + length, o2 + outLength);
  }
  if (length < outLength) y.fill(0, o1 + length, o1 + outLength);
}

/**
 * irfft of `rows` rows of floor(n/2)+1 bins into rows of `outLength` samples (the first
 * min(n, outLength) of the length-n signal, then zeros), times `scale`. The imaginary parts of
 * DC and Nyquist are ignored, as numpy does; interior bins are first multiplied by
 * `interiorWeight` (0.5 gives the adjoint of rfft).
 */
export function irfftRows(
  re: Float32Array, im: Float32Array, rows: number, n: number,
  y: Float32Array, outLength: number, scale: number, interiorWeight: number,
): void {
  const plan = complexFft(n);
  const h = rfftBins(n);
  const copyLength = Math.min(outLength, n);
  const [zr, zi] = buffers.get(n) as [Doubles, Doubles];
  for (let r = 0; r < rows; r += 2) {
    const paired = r + 1 < rows;
    loadPairSpectra(re, im, r * h, paired ? (r + 1) * h : -1, n, interiorWeight, zr, zi);
    // Swapped arguments: the unscaled inverse transform.
    plan.forward(zi, zr);
    storePair(y, r * outLength, paired ? (r + 1) * outLength : -1, zr, zi, copyLength, outLength, scale);
  }
}
