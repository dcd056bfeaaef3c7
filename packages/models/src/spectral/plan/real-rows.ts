// Batched real FFTs on float32 rows. Two real rows travel as one complex transform,
// z = x1 + i x2, which works for every length (odd and prime included); the two spectra are
// separated by Hermitian symmetry: X1_k = (Z_k + conj Z_{n-k}) / 2, X2_k = (Z_k - conj Z_{n-k}) / 2i.
import { complexFft } from './complex-fft.js';
import { WorkBuffers } from './work-buffers.js';

const buffers = new WorkBuffers(2);

/** Number of bins of a real transform of length n. */
export function rfftBins(n: number): number {
  return (n >> 1) + 1;
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
  const lastInterior = n % 2 === 0 ? n / 2 - 1 : (n - 1) / 2;
  const [br, bi] = buffers.get(n) as [Float64Array, Float64Array];
  const half = 0.5 * scale;
  const interior = half * interiorWeight;
  for (let r = 0; r < rows; r += 2) {
    const paired = r + 1 < rows;
    const in1 = r * inLength;
    const in2 = in1 + inLength;
    for (let j = 0; j < copyLength; j++) br[j] = x[in1 + j]!;
    br.fill(0, copyLength, n);
    if (paired) {
      for (let j = 0; j < copyLength; j++) bi[j] = x[in2 + j]!;
      bi.fill(0, copyLength, n);
    } else {
      bi.fill(0, 0, n);
    }
    plan.forward(br, bi);
    const o1 = r * h;
    const o2 = o1 + h;
    outRe[o1] = br[0]! * scale;
    outIm[o1] = 0;
    if (paired) {
      outRe[o2] = bi[0]! * scale;
      outIm[o2] = 0;
    }
    for (let k = 1; k <= lastInterior; k++) {
      const zr = br[k]!, zi = bi[k]!, wr = br[n - k]!, wi = bi[n - k]!;
      outRe[o1 + k] = (zr + wr) * interior;
      outIm[o1 + k] = (zi - wi) * interior;
      if (paired) {
        outRe[o2 + k] = (zi + wi) * interior;
        outIm[o2 + k] = (wr - zr) * interior;
      }
    }
    if (n % 2 === 0 && n > 0) {
      const k = n / 2;
      outRe[o1 + k] = br[k]! * scale;
      outIm[o1 + k] = 0;
      if (paired) {
        outRe[o2 + k] = bi[k]! * scale;
        outIm[o2 + k] = 0;
      }
    }
  }
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
  const lastInterior = n % 2 === 0 ? n / 2 - 1 : (n - 1) / 2;
  const [br, bi] = buffers.get(n) as [Float64Array, Float64Array];
  const v = interiorWeight;
  for (let r = 0; r < rows; r += 2) {
    const paired = r + 1 < rows;
    const i1 = r * h;
    const i2 = i1 + h;
    // Z = X1 + i X2 over all n bins, the upper half from conjugate symmetry.
    br[0] = re[i1]!;
    bi[0] = paired ? re[i2]! : 0;
    for (let k = 1; k <= lastInterior; k++) {
      const a1 = re[i1 + k]! * v, b1 = im[i1 + k]! * v;
      const a2 = paired ? re[i2 + k]! * v : 0;
      const b2 = paired ? im[i2 + k]! * v : 0;
      br[k] = a1 - b2;
      bi[k] = b1 + a2;
      br[n - k] = a1 + b2;
      bi[n - k] = a2 - b1;
    }
    if (n % 2 === 0 && n > 0) {
      const k = n / 2;
      br[k] = re[i1 + k]!;
      bi[k] = paired ? re[i2 + k]! : 0;
    }
    // Swapped arguments: the unscaled inverse transform.
    plan.forward(bi, br);
    const o1 = r * outLength;
    const o2 = o1 + outLength;
    for (let j = 0; j < copyLength; j++) y[o1 + j] = br[j]! * scale;
    y.fill(0, o1 + copyLength, o1 + outLength);
    if (paired) {
      for (let j = 0; j < copyLength; j++) y[o2 + j] = bi[j]! * scale;
      y.fill(0, o2 + copyLength, o2 + outLength);
    }
  }
}
