// Frequency responses on one axis, cycles per token in [0, 1/2], for every view analysis draws:
// a filter's rfft bins, an impulse response's transform, a Jacobian column's spectrum. Computed
// with the project's rfft (O(n log n) at any length), read back as float64 arrays.
import * as tf from '@tensorflow/tfjs';
import { rfft } from '../spectral/index.js';

/** The frequencies k / n, k = 0 .. floor(n / 2), of an n-point rfft, in cycles per token. */
export function cyclesPerToken(n: number): Float64Array {
  const bins = Math.floor(n / 2) + 1;
  return Float64Array.from({ length: bins }, (_, k) => k / n);
}

export interface FrequencyResponse {
  rows: number;
  n: number;
  /** [bins]: k / n. */
  cyclesPerToken: Float64Array;
  /** [rows, bins]. */
  re: Float64Array;
  im: Float64Array;
}

/**
 * H(f) = sum_m h[m] exp(-2 pi i f (firstOffset + m)) at f = k / n, for `rows` responses of
 * `length` taps each (row-major), whose first tap sits at lag firstOffset. n defaults to the
 * number of taps, so the grid is the taps' own DFT; n < length would alias and is refused.
 */
export function frequencyResponse(values: Float32Array | Float64Array, rows: number, length: number, firstOffset = 0, n = length): FrequencyResponse {
  if (values.length !== rows * length) throw new Error(`frequencyResponse: ${values.length} values are not ${rows} rows of ${length}`);
  if (!Number.isInteger(n) || n < length) throw new Error(`frequencyResponse: n must be an integer >= the ${length} taps, got ${n}`);
  const spectrum = tf.tidy(() => {
    const { re, im } = rfft(tf.tensor2d(Float32Array.from(values), [rows, length]), { n });
    return [re, im];
  });
  const [sr, si] = spectrum.map((t) => Float64Array.from(t!.dataSync())) as [Float64Array, Float64Array];
  tf.dispose(spectrum);
  const freqs = cyclesPerToken(n);
  const bins = freqs.length;
  // rfft puts the first tap at lag 0; a first tap at lag L multiplies bin k by exp(-2 pi i k L / n).
  if (firstOffset !== 0) {
    for (let k = 0; k < bins; k++) {
      const angle = (-2 * Math.PI * (((k * firstOffset) % n) + n)) / n;
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      for (let r = 0; r < rows; r++) {
        const at = r * bins + k;
        const a = sr[at]!;
        const b = si[at]!;
        sr[at] = a * c - b * s;
        si[at] = a * s + b * c;
      }
    }
  }
  return { rows, n, cyclesPerToken: freqs, re: sr, im: si };
}

/** |H| per entry. */
export function magnitudes(re: ArrayLike<number>, im: ArrayLike<number> | null): Float64Array {
  return Float64Array.from({ length: re.length }, (_, i) => Math.hypot(re[i]!, im ? im[i]! : 0));
}

/** arg H in radians per entry. */
export function phases(re: ArrayLike<number>, im: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: re.length }, (_, i) => Math.atan2(im[i]!, re[i]!));
}

/** 20 log10 |H|, floored at `floorDb` so a zero gain stays plottable. */
export function decibels(magnitude: number, floorDb = -120): number {
  return magnitude > 0 ? Math.max(floorDb, 20 * Math.log10(magnitude)) : floorDb;
}
