// Orthonormal DCT-II and its inverse (DCT-III) by Makhoul's algorithm: one FFT of the
// reordered signal v = [x_0, x_2, x_4, ..., x_5, x_3, x_1]. Two real rows share one complex
// FFT, as in real-rows.ts. Equal to scipy.fft.dct / idct with norm='ortho'.
import { complexFft } from './complex-fft.js';
import { doubles, WorkBuffers, type Doubles } from './work-buffers.js';

const buffers = new WorkBuffers(2);

interface DctTables {
  /** f_k cos(pi k / 2n) and -f_k sin(pi k / 2n), f_0 = 1 / (2 sqrt n), f_k = 1 / sqrt(2n). */
  forwardRe: Doubles;
  forwardIm: Doubles;
  /** The inverse twiddle exp(+i pi k / 2n) over (2 f_k n), the 1/n of the inverse FFT folded in. */
  inverseRe: Doubles;
  inverseIm: Doubles;
}

const tables = new Map<number, DctTables>();

function dctTables(n: number): DctTables {
  let t = tables.get(n);
  if (t === undefined) {
    const forwardRe = doubles(n);
    const forwardIm = doubles(n);
    const inverseRe = doubles(n);
    const inverseIm = doubles(n);
    for (let k = 0; k < n; k++) {
      const f = k === 0 ? 1 / (2 * Math.sqrt(n)) : 1 / Math.sqrt(2 * n);
      const c = Math.cos((Math.PI * k) / (2 * n));
      const s = Math.sin((Math.PI * k) / (2 * n));
      forwardRe[k] = f * c;
      forwardIm[k] = -f * s;
      inverseRe[k] = c / (2 * f * n);
      inverseIm[k] = s / (2 * f * n);
    }
    t = { forwardRe, forwardIm, inverseRe, inverseIm };
    tables.set(n, t);
  }
  return t;
}

/** Orthonormal DCT-II of `rows` rows of length n. */
export function dctRows(x: Float32Array, rows: number, n: number, y: Float32Array): void {
  const plan = complexFft(n);
  const { forwardRe: cr, forwardIm: ci } = dctTables(n);
  const [br, bi] = buffers.get(n) as [Doubles, Doubles];
  const evens = (n + 1) >> 1;
  for (let r = 0; r < rows; r += 2) {
    const paired = r + 1 < rows;
    const o1 = r * n;
    const o2 = o1 + n;
    for (let j = 0; j < evens; j++) br[j] = x[o1 + 2 * j]!;
    for (let j = 0; 2 * j + 1 < n; j++) br[n - 1 - j] = x[o1 + 2 * j + 1]!;
    if (paired) {
      for (let j = 0; j < evens; j++) bi[j] = x[o2 + 2 * j]!;
      for (let j = 0; 2 * j + 1 < n; j++) bi[n - 1 - j] = x[o2 + 2 * j + 1]!;
    } else {
      bi.fill(0, 0, n);
    }
    plan.forward(br, bi);
    // With V1 = (Z_k + conj Z_{n-k}) / 2 and V2 = (Z_k - conj Z_{n-k}) / 2i, the DCT is
    // X_k = 2 f_k Re(V_k exp(-i pi k / 2n)); the halves cancel the 2.
    for (let k = 0; k < n; k++) {
      const w = k === 0 ? 0 : n - k;
      const zr = br[k]!, zi = bi[k]!, wr = br[w]!, wi = bi[w]!;
      y[o1 + k] = (zr + wr) * cr[k]! - (zi - wi) * ci[k]!;
      if (paired) y[o2 + k] = (zi + wi) * cr[k]! - (wr - zr) * ci[k]!;
    }
  }
}

/** Orthonormal DCT-III (the inverse of dctRows) of `rows` rows of length n. */
export function idctRows(x: Float32Array, rows: number, n: number, y: Float32Array): void {
  const plan = complexFft(n);
  const { inverseRe: cr, inverseIm: ci } = dctTables(n);
  const [br, bi] = buffers.get(n) as [Doubles, Doubles];
  const evens = (n + 1) >> 1;
  for (let r = 0; r < rows; r += 2) {
    const paired = r + 1 < rows;
    const o1 = r * n;
    const o2 = o1 + n;
    // Unscaled DCT values y_k = X_k / f_k give W_k = (y_k - i y_{n-k}) / 2 and
    // V_k = exp(i pi k / 2n) W_k, the FFT of the reordered signal.
    for (let k = 0; k < n; k++) {
      const tr = cr[k]!, ti = ci[k]!;
      const a1 = x[o1 + k]!;
      const b1 = k === 0 ? 0 : -x[o1 + n - k]!;
      const v1r = tr * a1 - ti * b1;
      const v1i = tr * b1 + ti * a1;
      let v2r = 0, v2i = 0;
      if (paired) {
        const a2 = x[o2 + k]!;
        const b2 = k === 0 ? 0 : -x[o2 + n - k]!;
        v2r = tr * a2 - ti * b2;
        v2i = tr * b2 + ti * a2;
      }
      br[k] = v1r - v2i;
      bi[k] = v1i + v2r;
    }
    plan.forward(bi, br);
    for (let j = 0; j < evens; j++) y[o1 + 2 * j] = br[j]!;
    for (let j = 0; 2 * j + 1 < n; j++) y[o1 + 2 * j + 1] = br[n - 1 - j]!;
    if (paired) {
      for (let j = 0; j < evens; j++) y[o2 + 2 * j] = bi[j]!;
      for (let j = 0; 2 * j + 1 < n; j++) y[o2 + 2 * j + 1] = bi[n - 1 - j]!;
    }
  }
}
