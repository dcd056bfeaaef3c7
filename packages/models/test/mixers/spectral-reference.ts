// Float64 building blocks for the spectral mixers' references, written from the formulas (dense
// DFT sums, no FFT), and a finite-difference check of every parameter of a mixer.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import type { ParamStore } from '../../src/nn/params.js';
import { numericGradient } from '../support/gradcheck.js';

export type Norm = 'backward' | 'ortho';

/** Half spectrum (floor(n/2)+1 bins) of a real signal by the DFT sum, as numpy.fft.rfft. */
export function denseRfft(x: ArrayLike<number>, norm: Norm): { re: Float64Array; im: Float64Array } {
  const n = x.length;
  const bins = Math.floor(n / 2) + 1;
  const re = new Float64Array(bins);
  const im = new Float64Array(bins);
  const scale = norm === 'ortho' ? 1 / Math.sqrt(n) : 1;
  for (let k = 0; k < bins; k++) {
    for (let t = 0; t < n; t++) {
      const angle = (-2 * Math.PI * k * t) / n;
      re[k]! += x[t]! * Math.cos(angle) * scale;
      im[k]! += x[t]! * Math.sin(angle) * scale;
    }
  }
  return { re, im };
}

/** Real signal of length n from a half spectrum (Hermitian extension), as numpy.fft.irfft. */
export function denseIrfft(re: ArrayLike<number>, im: ArrayLike<number>, n: number, norm: Norm): Float64Array {
  const out = new Float64Array(n);
  const scale = norm === 'ortho' ? 1 / Math.sqrt(n) : 1 / n;
  for (let t = 0; t < n; t++) {
    let sum = 0;
    for (let k = 0; k < n; k++) {
      // Bins above n/2 are conjugates of the stored ones; DC's and Nyquist's imaginary parts drop out.
      const mirrored = k > n / 2;
      const j = mirrored ? n - k : k;
      const r = re[j]!;
      const i = k === 0 || 2 * k === n ? 0 : mirrored ? -im[j]! : im[j]!;
      const angle = (2 * Math.PI * k * t) / n;
      sum += r * Math.cos(angle) - i * Math.sin(angle);
    }
    out[t] = sum * scale;
  }
  return out;
}

/** Column `c` of a row-major [rows, cols] block starting at `offset`. */
export function column(values: ArrayLike<number>, offset: number, rows: number, cols: number, c: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) out[r] = values[offset + r * cols + c]!;
  return out;
}

/** x [rows, inputDim] @ kernel [inputDim, units] (+ bias), row-major. */
export function denseLayer(
  x: ArrayLike<number>,
  rows: number,
  kernel: ArrayLike<number>,
  inputDim: number,
  units: number,
  bias?: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(rows * units);
  for (let r = 0; r < rows; r++) {
    for (let u = 0; u < units; u++) {
      let sum = bias ? bias[u]! : 0;
      for (let i = 0; i < inputDim; i++) sum += x[r * inputDim + i]! * kernel[i * units + u]!;
      out[r * units + u] = sum;
    }
  }
  return out;
}

/** LayerNorm over the last axis (biased variance). */
export function layerNormRows(
  x: ArrayLike<number>,
  width: number,
  eps: number,
  scale: ArrayLike<number>,
  bias: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / width; r++) {
    let mean = 0;
    for (let c = 0; c < width; c++) mean += x[r * width + c]! / width;
    let variance = 0;
    for (let c = 0; c < width; c++) variance += (x[r * width + c]! - mean) ** 2 / width;
    for (let c = 0; c < width; c++) {
      out[r * width + c] = ((x[r * width + c]! - mean) / Math.sqrt(variance + eps)) * scale[c]! + bias[c]!;
    }
  }
  return out;
}

/** erf to ~1e-14: its Taylor series near 0, a continued fraction of erfc further out. */
export function erf(x: number): number {
  const a = Math.abs(x);
  let value: number;
  if (a < 2.5) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 60; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    value = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let f = a;
    for (let k = 80; k >= 1; k--) f = a + k / 2 / f;
    value = 1 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * f);
  }
  return x < 0 ? -value : value;
}

export function geluExact(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

export function readParams(store: ParamStore): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const { name, variable } of store.variables()) out[name] = Float64Array.from(variable.dataSync());
  return out;
}

/**
 * Checks tf's gradient of `loss` with respect to EVERY parameter of `store` against central
 * differences of the float64 `reference` (which reads the parameter values it is handed).
 * Element passes when |analytic - numeric| <= atol + rtol |numeric|. Returns the names checked.
 */
export function expectParamGradients(
  store: ParamStore,
  loss: () => tf.Scalar,
  reference: (params: Record<string, Float64Array>) => number,
  { atol = 1e-4, rtol = 2e-3 }: { atol?: number; rtol?: number } = {},
): string[] {
  const { value, grads } = tf.variableGrads(loss, store.variables().map((p) => p.variable));
  value.dispose();
  const params = readParams(store);
  const checked: string[] = [];
  for (const { name, variable } of store.variables()) {
    const gradient = grads[variable.name];
    expect(gradient, `no gradient for ${name}`).toBeDefined();
    const analytic = gradient!.dataSync();
    const numeric = numericGradient((w) => reference({ ...params, [name]: w }), params[name]!);
    let worst = 0;
    for (let i = 0; i < numeric.length; i++) {
      const error = Math.abs(analytic[i]! - numeric[i]!);
      worst = Math.max(worst, Number.isNaN(error) ? Infinity : error / (atol + rtol * Math.abs(numeric[i]!)));
    }
    expect(worst, `gradient of ${name}`).toBeLessThanOrEqual(1);
    checked.push(name);
  }
  tf.dispose(grads);
  return checked;
}
