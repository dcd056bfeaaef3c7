// Float64 dense references for the spectral ops: O(n^2) sums straight from the definitions,
// independent of the FFT code under test. Arrays are row-major [rows, n].
import type { FftNorm } from '../../src/spectral/index.js';

export interface Complex {
  re: Float64Array;
  im: Float64Array;
}

function forwardScale(norm: FftNorm, n: number): number {
  return norm === 'backward' ? 1 : norm === 'ortho' ? 1 / Math.sqrt(n) : 1 / n;
}

function inverseScale(norm: FftNorm, n: number): number {
  return norm === 'forward' ? 1 : norm === 'ortho' ? 1 / Math.sqrt(n) : 1 / n;
}

/** exp(sign * 2 pi i j k / n) with the product reduced mod n first. */
function root(j: number, k: number, n: number, sign: number): [number, number] {
  const angle = (sign * 2 * Math.PI * ((j * k) % n)) / n;
  return [Math.cos(angle), Math.sin(angle)];
}

/** Complex DFT of each row (inverse: exp(+i ...)), times scale. */
export function denseDft(x: Complex, rows: number, n: number, inverse: boolean, scale: number): Complex {
  const re = new Float64Array(rows * n);
  const im = new Float64Array(rows * n);
  const sign = inverse ? 1 : -1;
  // Table of the n roots, indexed by (j k) mod n, so long references stay fast.
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let t = 0; t < n; t++) [cos[t], sin[t]] = root(t, 1, n, sign);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < n; k++) {
      let sr = 0;
      let si = 0;
      let t = 0;
      for (let j = 0; j < n; j++) {
        const c = cos[t]!;
        const s = sin[t]!;
        const a = x.re[r * n + j]!;
        const b = x.im[r * n + j]!;
        sr += a * c - b * s;
        si += a * s + b * c;
        t += k;
        if (t >= n) t -= n;
      }
      re[r * n + k] = sr * scale;
      im[r * n + k] = si * scale;
    }
  }
  return { re, im };
}

export function fftRef(x: Complex, rows: number, n: number, norm: FftNorm = 'backward'): Complex {
  return denseDft(x, rows, n, false, forwardScale(norm, n));
}

export function ifftRef(x: Complex, rows: number, n: number, norm: FftNorm = 'backward'): Complex {
  return denseDft(x, rows, n, true, inverseScale(norm, n));
}

/** numpy.fft.rfft(x, n, norm) of rows of length m. */
export function rfftRef(x: ArrayLike<number>, rows: number, m: number, n: number, norm: FftNorm = 'backward'): Complex {
  const h = Math.floor(n / 2) + 1;
  const re = new Float64Array(rows * h);
  const im = new Float64Array(rows * h);
  const scale = forwardScale(norm, n);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < h; k++) {
      let sr = 0;
      let si = 0;
      for (let j = 0; j < Math.min(m, n); j++) {
        const [c, s] = root(j, k, n, -1);
        sr += x[r * m + j]! * c;
        si += x[r * m + j]! * s;
      }
      re[r * h + k] = sr * scale;
      im[r * h + k] = si * scale;
    }
  }
  return { re, im };
}

/**
 * numpy.fft.irfft(X, n, norm) of rows of `bins` bins: bins are cut or zero-padded to
 * floor(n/2)+1, the spectrum is extended by conjugate symmetry, and the imaginary parts of DC
 * and (even n) Nyquist are ignored.
 */
export function irfftRef(x: Complex, rows: number, bins: number, n: number, norm: FftNorm = 'backward'): Float64Array {
  const h = Math.floor(n / 2) + 1;
  const y = new Float64Array(rows * n);
  const scale = inverseScale(norm, n);
  for (let r = 0; r < rows; r++) {
    const bin = (k: number): [number, number] => {
      if (k >= bins) return [0, 0];
      const a = x.re[r * bins + k]!;
      const b = k === 0 || 2 * k === n ? 0 : x.im[r * bins + k]!;
      return [a, b];
    };
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) {
        const [a, b] = k < h ? bin(k) : ((): [number, number] => {
          const [c, d] = bin(n - k);
          return [c, -d];
        })();
        const [c, sn] = root(j, k, n, 1);
        s += a * c - b * sn;
      }
      y[r * n + j] = s * scale;
    }
  }
  return y;
}

/** numpy.fft.fft2 over the last two axes of a real [batch, rows, cols] array. */
export function fft2Ref(x: ArrayLike<number>, batch: number, rows: number, cols: number): Complex {
  const size = rows * cols;
  const re = new Float64Array(batch * size);
  const im = new Float64Array(batch * size);
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < rows; p++) {
      for (let q = 0; q < cols; q++) {
        let sr = 0;
        let si = 0;
        for (let i = 0; i < rows; i++) {
          for (let j = 0; j < cols; j++) {
            const angle = -2 * Math.PI * (((p * i) % rows) / rows + ((q * j) % cols) / cols);
            const v = x[b * size + i * cols + j]!;
            sr += v * Math.cos(angle);
            si += v * Math.sin(angle);
          }
        }
        re[b * size + p * cols + q] = sr;
        im[b * size + p * cols + q] = si;
      }
    }
  }
  return { re, im };
}

/** scipy.fft.dct(x, type=2, norm='ortho') of each row. */
export function dctRef(x: ArrayLike<number>, rows: number, n: number): Float64Array {
  const y = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += x[r * n + j]! * Math.cos((Math.PI * k * (2 * j + 1)) / (2 * n));
      y[r * n + k] = s * (k === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n));
    }
  }
  return y;
}

/** scipy.fft.idct(x, type=2, norm='ortho'), i.e. the orthonormal DCT-III, of each row. */
export function idctRef(x: ArrayLike<number>, rows: number, n: number): Float64Array {
  const y = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) {
        const f = k === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n);
        s += f * x[r * n + k]! * Math.cos((Math.PI * k * (2 * j + 1)) / (2 * n));
      }
      y[r * n + j] = s;
    }
  }
  return y;
}

/** numpy.convolve(u_row, k_row)[:n] for u [rows, n] and k [kRows, taps], k rows cycling over u rows. */
export function convolveRef(u: ArrayLike<number>, rows: number, n: number, k: ArrayLike<number>, kRows: number, taps: number): Float64Array {
  const y = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const kr = r % kRows;
    for (let t = 0; t < n; t++) {
      let s = 0;
      for (let j = 0; j < taps && j <= t; j++) s += k[kr * taps + j]! * u[r * n + t - j]!;
      y[r * n + t] = s;
    }
  }
  return y;
}

/** y_i = sum_j c[j - i + n - 1] x_j for x [rows, n] and one coefficient row c [2n-1]. */
export function toeplitzRef(c: ArrayLike<number>, x: ArrayLike<number>, rows: number, n: number): Float64Array {
  const y = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += c[j - i + n - 1]! * x[r * n + j]!;
      y[r * n + i] = s;
    }
  }
  return y;
}

/** Largest |a - b| over the elements. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(worst, d);
  }
  return worst;
}

/** Largest |a| (for tolerances relative to a result's magnitude). */
export function maxAbs(a: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]!));
  return worst;
}
