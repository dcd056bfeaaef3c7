// FFTNet's filtered modReLU over rows of a spectrum, forward and backward, in JavaScript over
// float32 arrays: z = (re + i im) s, |z| = sqrt(zr^2 + zi^2 + floor), out = z relu(|z| + b) / max(|z|, c).
// Rows are the [B, F, H] positions of a [B, F, H, d] spectrum; s is one factor per row (or per
// [F, H] position, shared by the batch), b one per [F, H] position. On the wasm heap, with d a
// multiple of 4, ../simd/modrelu.wat computes the same in float32 lanes. No tfjs import: the heap
// pool's workers run these on their slices of rows.
import type { ModReluSimd } from '../simd/simd-kernels.js';

/** Where a spectrum's rows find their scale and bias. */
export interface ModReluLayout {
  /** d: the values per row (a head's channels). */
  width: number;
  /** F H: the rows of one batch element, each with its own bias. */
  rowsPerExample: number;
  /** Whether the scale has a row per example's row (else one per [F, H] position). */
  scalePerExample: boolean;
  /** c: the magnitude's floor in the gain's denominator. */
  minMagnitude: number;
  /** Added under the square root of |z| (keeps its gradient finite at z = 0). */
  floor: number;
}

/** Row `row`'s filter value s and modReLU bias b. */
function rowParameters(scale: Float32Array, bias: Float32Array, layout: ModReluLayout, row: number): [number, number] {
  const position = row % layout.rowsPerExample;
  return [scale[layout.scalePerExample ? row : position]!, bias[position]!];
}

/** Rows [first, last): yRe + i yIm = z relu(|z| + b) / max(|z|, c). */
export function modReluRows(
  re: Float32Array, im: Float32Array, scale: Float32Array, bias: Float32Array, layout: ModReluLayout,
  yRe: Float32Array, yIm: Float32Array, first: number, last: number,
): void {
  const { width, minMagnitude, floor } = layout;
  for (let row = first; row < last; row++) {
    const [s, b] = rowParameters(scale, bias, layout, row);
    for (let i = row * width, end = i + width; i < end; i++) {
      const zr = re[i]! * s;
      const zi = im[i]! * s;
      const magnitude = Math.sqrt(zr * zr + zi * zi + floor);
      const shifted = magnitude + b;
      const gain = shifted > 0 ? shifted / (magnitude > minMagnitude ? magnitude : minMagnitude) : 0;
      yRe[i] = zr * gain;
      yIm[i] = zi * gain;
    }
  }
}

/**
 * Rows [first, last) of the gradient: dre and dim, and per row the sums over its width of the
 * scale's and the bias's gradients (scaleSums, biasSums: one per row, added over the batch by
 * the caller). Derivatives as tfjs's kernels take them: relu' = [u > 0], max(|z|, c)' = [|z| >= c].
 */
export function modReluGradRows(
  dRe: Float32Array, dIm: Float32Array, re: Float32Array, im: Float32Array, scale: Float32Array, bias: Float32Array, layout: ModReluLayout,
  dre: Float32Array, dim: Float32Array, scaleSums: Float32Array, biasSums: Float32Array, first: number, last: number,
): void {
  const { width, minMagnitude, floor } = layout;
  for (let row = first; row < last; row++) {
    const [s, b] = rowParameters(scale, bias, layout, row);
    let scaleSum = 0;
    let biasSum = 0;
    for (let i = row * width, end = i + width; i < end; i++) {
      const xr = re[i]!;
      const xi = im[i]!;
      const zr = xr * s;
      const zi = xi * s;
      const magnitude = Math.sqrt(zr * zr + zi * zi + floor);
      const shifted = magnitude + b;
      const numerator = shifted > 0 ? shifted : 0;
      const atFloor = magnitude < minMagnitude;
      const inverse = 1 / (atFloor ? minMagnitude : magnitude);
      const gain = numerator * inverse;
      const gr = dRe[i]!;
      const gi = dIm[i]!;
      // dL/dgain, then through gain = relu(|z| + b) / max(|z|, c) to |z| and b.
      const dGain = gr * zr + gi * zi;
      const viaNumerator = shifted > 0 ? dGain * inverse : 0;
      const dMagnitude = viaNumerator - (atFloor ? 0 : dGain * gain * inverse);
      const perMagnitude = dMagnitude / magnitude;
      const dzr = gr * gain + perMagnitude * zr;
      const dzi = gi * gain + perMagnitude * zi;
      dre[i] = dzr * s;
      dim[i] = dzi * s;
      scaleSum += dzr * xr + dzi * xi;
      biasSum += viaNumerator;
    }
    scaleSums[row] = scaleSum;
    biasSums[row] = biasSum;
  }
}

/**
 * The scale's and the bias's gradients from the per-row sums, added over the batch in order (so
 * they do not depend on how rows were split): dscale per row, or per [F, H] position when the
 * scale is shared; dbias per position.
 */
export function reduceModReluSums(
  scaleSums: Float32Array, biasSums: Float32Array, rows: number, layout: ModReluLayout, dscale: Float32Array, dbias: Float32Array,
): void {
  const { rowsPerExample, scalePerExample } = layout;
  const examples = rows / rowsPerExample;
  for (let position = 0; position < rowsPerExample; position++) {
    let scaleTotal = 0;
    let biasTotal = 0;
    for (let example = 0; example < examples; example++) {
      const row = example * rowsPerExample + position;
      if (scalePerExample) dscale[row] = scaleSums[row]!;
      else scaleTotal += scaleSums[row]!;
      biasTotal += biasSums[row]!;
    }
    if (!scalePerExample) dscale[position] = scaleTotal;
    dbias[position] = biasTotal;
  }
}

/** Rows [first, last) of the forward pass: SIMD where `simd` is given (arrays on its heap), else JavaScript. */
export function modReluSlice(
  simd: ModReluSimd | null, re: Float32Array, im: Float32Array, scale: Float32Array, bias: Float32Array, layout: ModReluLayout,
  yRe: Float32Array, yIm: Float32Array, first: number, last: number,
): void {
  if (simd === null) {
    modReluRows(re, im, scale, bias, layout, yRe, yIm, first, last);
    return;
  }
  simd.modRelu(re.byteOffset, im.byteOffset, scale.byteOffset, bias.byteOffset, yRe.byteOffset, yIm.byteOffset,
    first, last, layout.width, layout.rowsPerExample, layout.scalePerExample ? 1 : 0, layout.minMagnitude, layout.floor);
}

/** Rows [first, last) of the gradient, as modReluSlice chooses. */
export function modReluGradSlice(
  simd: ModReluSimd | null, dRe: Float32Array, dIm: Float32Array, re: Float32Array, im: Float32Array, scale: Float32Array, bias: Float32Array, layout: ModReluLayout,
  dre: Float32Array, dim: Float32Array, scaleSums: Float32Array, biasSums: Float32Array, first: number, last: number,
): void {
  if (simd === null) {
    modReluGradRows(dRe, dIm, re, im, scale, bias, layout, dre, dim, scaleSums, biasSums, first, last);
    return;
  }
  simd.modReluGrad(dRe.byteOffset, dIm.byteOffset, re.byteOffset, im.byteOffset, scale.byteOffset, bias.byteOffset, dre.byteOffset, dim.byteOffset,
    scaleSums.byteOffset, biasSums.byteOffset, first, last, layout.width, layout.rowsPerExample, layout.scalePerExample ? 1 : 0, layout.minMagnitude, layout.floor);
}
