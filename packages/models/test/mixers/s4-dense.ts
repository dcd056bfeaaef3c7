// Float64 dense linear algebra for S4's references: the full N x N complex state matrix
// A = diag(Lambda) - P P^* over all N = 2M states (conjugates included), its bilinear
// discretisation, powers, and the recurrence run step by step. Written from the formulas, with
// no use of the structure the mixer exploits.

export interface CMatrix {
  n: number;
  re: Float64Array;
  im: Float64Array;
}

export const cidentity = (n: number): CMatrix => {
  const m = { n, re: new Float64Array(n * n), im: new Float64Array(n * n) };
  for (let i = 0; i < n; i++) m.re[i * n + i] = 1;
  return m;
};

export function cmatmul(a: CMatrix, b: CMatrix): CMatrix {
  const n = a.n;
  const out = { n, re: new Float64Array(n * n), im: new Float64Array(n * n) };
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const ar = a.re[i * n + k]!;
      const ai = a.im[i * n + k]!;
      if (ar === 0 && ai === 0) continue;
      for (let j = 0; j < n; j++) {
        out.re[i * n + j]! += ar * b.re[k * n + j]! - ai * b.im[k * n + j]!;
        out.im[i * n + j]! += ar * b.im[k * n + j]! + ai * b.re[k * n + j]!;
      }
    }
  }
  return out;
}

/** Gauss-Jordan with partial pivoting. */
export function cinverse(a: CMatrix): CMatrix {
  const n = a.n;
  const re = Float64Array.from(a.re);
  const im = Float64Array.from(a.im);
  const inv = cidentity(n);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.hypot(re[r * n + col]!, im[r * n + col]!) > Math.hypot(re[pivot * n + col]!, im[pivot * n + col]!)) pivot = r;
    for (const m of [{ re, im }, inv]) {
      for (let j = 0; j < n; j++) {
        for (const part of [m.re, m.im]) {
          const t = part[col * n + j]!;
          part[col * n + j] = part[pivot * n + j]!;
          part[pivot * n + j] = t;
        }
      }
    }
    const pr = re[col * n + col]!;
    const pi = im[col * n + col]!;
    const norm = pr * pr + pi * pi;
    const sr = pr / norm;
    const si = -pi / norm;
    for (const m of [{ re, im }, inv]) {
      for (let j = 0; j < n; j++) {
        const xr = m.re[col * n + j]!;
        const xi = m.im[col * n + j]!;
        m.re[col * n + j] = xr * sr - xi * si;
        m.im[col * n + j] = xr * si + xi * sr;
      }
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const fr = re[r * n + col]!;
      const fi = im[r * n + col]!;
      if (fr === 0 && fi === 0) continue;
      for (const m of [{ re, im }, inv]) {
        for (let j = 0; j < n; j++) {
          const xr = m.re[col * n + j]!;
          const xi = m.im[col * n + j]!;
          m.re[r * n + j]! -= fr * xr - fi * xi;
          m.im[r * n + j]! -= fr * xi + fi * xr;
        }
      }
    }
  }
  return inv;
}

/** A^L by repeated squaring (as state-spaces/s4's power()). */
export function cpower(a: CMatrix, exponent: number): CMatrix {
  let result = cidentity(a.n);
  let base = a;
  let e = exponent;
  while (e > 0) {
    if (e % 2 === 1) result = cmatmul(base, result);
    e = Math.floor(e / 2);
    if (e > 0) base = cmatmul(base, base);
  }
  return result;
}

/** One channel's system over all N states: M modes given, conjugates appended. */
export interface DenseSystem {
  dA: CMatrix;
  dBRe: Float64Array;
  dBIm: Float64Array;
}

/**
 * Bilinear discretisation of A = diag(Lambda) - P P^*, B (M modes each, conjugates appended):
 * dA = (I - dt/2 A)^{-1} (I + dt/2 A), dB = dt (I - dt/2 A)^{-1} B.
 */
export function bilinearSystem(
  dt: number,
  lambda: { re: ArrayLike<number>; im: ArrayLike<number> },
  p: { re: ArrayLike<number>; im: ArrayLike<number> },
  b: { re: ArrayLike<number>; im: ArrayLike<number> },
): DenseSystem {
  const m = lambda.re.length;
  const n = 2 * m;
  const full = (x: { re: ArrayLike<number>; im: ArrayLike<number> }) => ({
    re: Float64Array.from({ length: n }, (_, i) => x.re[i % m]!),
    im: Float64Array.from({ length: n }, (_, i) => (i < m ? x.im[i]! : -x.im[i - m]!)),
  });
  const lf = full(lambda);
  const pf = full(p);
  const bf = full(b);
  const a: CMatrix = { n, re: new Float64Array(n * n), im: new Float64Array(n * n) };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      // -(P P^*)_ij = -P_i conj(P_j)
      a.re[i * n + j] = -(pf.re[i]! * pf.re[j]! + pf.im[i]! * pf.im[j]!);
      a.im[i * n + j] = -(pf.im[i]! * pf.re[j]! - pf.re[i]! * pf.im[j]!);
    }
    a.re[i * n + i]! += lf.re[i]!;
    a.im[i * n + i]! += lf.im[i]!;
  }
  const backward = cidentity(n);
  const forward = cidentity(n);
  for (let i = 0; i < n * n; i++) {
    backward.re[i]! -= (dt / 2) * a.re[i]!;
    backward.im[i]! -= (dt / 2) * a.im[i]!;
    forward.re[i]! += (dt / 2) * a.re[i]!;
    forward.im[i]! += (dt / 2) * a.im[i]!;
  }
  const inv = cinverse(backward);
  const dA = cmatmul(inv, forward);
  const dBRe = new Float64Array(n);
  const dBIm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      dBRe[i]! += dt * (inv.re[i * n + j]! * bf.re[j]! - inv.im[i * n + j]! * bf.im[j]!);
      dBIm[i]! += dt * (inv.re[i * n + j]! * bf.im[j]! + inv.im[i * n + j]! * bf.re[j]!);
    }
  }
  return { dA, dBRe, dBIm };
}

/** The row vector c (M modes, conjugates appended) times a matrix: c X over all N states. */
export function rowTimes(cRe: ArrayLike<number>, cIm: ArrayLike<number>, x: CMatrix): { re: Float64Array; im: Float64Array } {
  const n = x.n;
  const m = n / 2;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const cr = cRe[i % m]!;
    const ci = i < m ? cIm[i]! : -cIm[i - m]!;
    for (let j = 0; j < n; j++) {
      re[j]! += cr * x.re[i * n + j]! - ci * x.im[i * n + j]!;
      im[j]! += cr * x.im[i * n + j]! + ci * x.re[i * n + j]!;
    }
  }
  return { re, im };
}

/**
 * The recurrence x_k = dA x_{k-1} + dB u_k, y_k = Re(C x_k) (C over all N states: c and its
 * conjugates), run over u. With `reverse` it runs from the end and position t reads the state
 * after t + 1 (strictly later inputs), as the backward half of S4's bidirectional kernel.
 */
export function runRecurrence(
  system: DenseSystem,
  cFullRe: ArrayLike<number>,
  cFullIm: ArrayLike<number>,
  u: ArrayLike<number>,
  reverse: boolean,
): Float64Array {
  const n = system.dA.n;
  const length = u.length;
  const y = new Float64Array(length);
  let sRe = new Float64Array(n);
  let sIm = new Float64Array(n);
  const read = () => {
    let v = 0;
    for (let i = 0; i < n; i++) v += cFullRe[i]! * sRe[i]! - cFullIm[i]! * sIm[i]!;
    return v;
  };
  for (let step = 0; step < length; step++) {
    const t = reverse ? length - 1 - step : step;
    if (reverse) y[t] = read();
    const nRe = new Float64Array(n);
    const nIm = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let r = system.dBRe[i]! * u[t]!;
      let im = system.dBIm[i]! * u[t]!;
      for (let j = 0; j < n; j++) {
        r += system.dA.re[i * n + j]! * sRe[j]! - system.dA.im[i * n + j]! * sIm[j]!;
        im += system.dA.re[i * n + j]! * sIm[j]! + system.dA.im[i * n + j]! * sRe[j]!;
      }
      nRe[i] = r;
      nIm[i] = im;
    }
    sRe = nRe;
    sIm = nIm;
    if (!reverse) y[t] = read();
  }
  return y;
}
