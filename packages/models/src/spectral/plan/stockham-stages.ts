// One Stockham (self-sorting) decimation-in-time stage per radix, on split re/im double arrays.
//
// Before a stage with radix p the array holds L-point DFTs: element (j, k) at index j*p*m + k is
// frequency j of the sub-transform over input samples k, k + p*m, k + 2*p*m, ... (m = n / (L p)).
// The stage combines p neighbouring sub-transforms k, k + m, ..., k + (p-1) m into L*p-point DFTs,
// written at index (j + L q) m + k. The innermost loop runs over k with unit stride in both
// arrays, and the twiddles w_v = exp(-2 pi i j v / (L p)) stay in registers across it.
//
// Twiddle tables: tw[j * (p - 1) + v - 1] for j < L, 1 <= v < p.

import { doubles, type Doubles } from './work-buffers.js';

export function radix2Stage(
  sr: Doubles, si: Doubles, dr: Doubles, di: Doubles,
  L: number, m: number, twr: Doubles, twi: Doubles,
): void {
  const Lm = L * m;
  for (let j = 0; j < L; j++) {
    const wr = twr[j]!;
    const wi = twi[j]!;
    const inBase = 2 * j * m;
    const outBase = j * m;
    for (let k = 0; k < m; k++) {
      const i0 = inBase + k;
      const i1 = i0 + m;
      const xr = sr[i1]!;
      const xi = si[i1]!;
      const br = xr * wr - xi * wi;
      const bi = xr * wi + xi * wr;
      const ar = sr[i0]!;
      const ai = si[i0]!;
      const o = outBase + k;
      dr[o] = ar + br;
      di[o] = ai + bi;
      dr[o + Lm] = ar - br;
      di[o + Lm] = ai - bi;
    }
  }
}

export function radix4Stage(
  sr: Doubles, si: Doubles, dr: Doubles, di: Doubles,
  L: number, m: number, twr: Doubles, twi: Doubles,
): void {
  const Lm = L * m;
  for (let j = 0; j < L; j++) {
    const t = 3 * j;
    const w1r = twr[t]!, w1i = twi[t]!;
    const w2r = twr[t + 1]!, w2i = twi[t + 1]!;
    const w3r = twr[t + 2]!, w3i = twi[t + 2]!;
    const inBase = 4 * j * m;
    const outBase = j * m;
    for (let k = 0; k < m; k++) {
      const i0 = inBase + k;
      const i1 = i0 + m;
      const i2 = i1 + m;
      const i3 = i2 + m;
      const a0r = sr[i0]!, a0i = si[i0]!;
      let xr = sr[i1]!, xi = si[i1]!;
      const b1r = xr * w1r - xi * w1i, b1i = xr * w1i + xi * w1r;
      xr = sr[i2]!;
      xi = si[i2]!;
      const b2r = xr * w2r - xi * w2i, b2i = xr * w2i + xi * w2r;
      xr = sr[i3]!;
      xi = si[i3]!;
      const b3r = xr * w3r - xi * w3i, b3i = xr * w3i + xi * w3r;
      const t0r = a0r + b2r, t0i = a0i + b2i;
      const t1r = a0r - b2r, t1i = a0i - b2i;
      const t2r = b1r + b3r, t2i = b1i + b3i;
      const t3r = b1r - b3r, t3i = b1i - b3i;
      const o0 = outBase + k;
      const o1 = o0 + Lm;
      const o2 = o1 + Lm;
      const o3 = o2 + Lm;
      dr[o0] = t0r + t2r;
      di[o0] = t0i + t2i;
      // y1 = t1 - i t3, y3 = t1 + i t3 (forward transform: omega_4 = -i).
      dr[o1] = t1r + t3i;
      di[o1] = t1i - t3r;
      dr[o2] = t0r - t2r;
      di[o2] = t0i - t2i;
      dr[o3] = t1r - t3i;
      di[o3] = t1i + t3r;
    }
  }
}

const SIN_60 = Math.sqrt(3) / 2;

export function radix3Stage(
  sr: Doubles, si: Doubles, dr: Doubles, di: Doubles,
  L: number, m: number, twr: Doubles, twi: Doubles,
): void {
  const Lm = L * m;
  for (let j = 0; j < L; j++) {
    const t = 2 * j;
    const w1r = twr[t]!, w1i = twi[t]!;
    const w2r = twr[t + 1]!, w2i = twi[t + 1]!;
    const inBase = 3 * j * m;
    const outBase = j * m;
    for (let k = 0; k < m; k++) {
      const i0 = inBase + k;
      const i1 = i0 + m;
      const i2 = i1 + m;
      const a0r = sr[i0]!, a0i = si[i0]!;
      let xr = sr[i1]!, xi = si[i1]!;
      const b1r = xr * w1r - xi * w1i, b1i = xr * w1i + xi * w1r;
      xr = sr[i2]!;
      xi = si[i2]!;
      const b2r = xr * w2r - xi * w2i, b2i = xr * w2i + xi * w2r;
      const sumr = b1r + b2r, sumi = b1i + b2i;
      const difr = (b1r - b2r) * SIN_60, difi = (b1i - b2i) * SIN_60;
      const mr = a0r - 0.5 * sumr, mi = a0i - 0.5 * sumi;
      const o0 = outBase + k;
      dr[o0] = a0r + sumr;
      di[o0] = a0i + sumi;
      dr[o0 + Lm] = mr + difi;
      di[o0 + Lm] = mi - difr;
      dr[o0 + 2 * Lm] = mr - difi;
      di[o0 + 2 * Lm] = mi + difr;
    }
  }
}

const C1_5 = Math.cos((2 * Math.PI) / 5);
const C2_5 = Math.cos((4 * Math.PI) / 5);
const S1_5 = Math.sin((2 * Math.PI) / 5);
const S2_5 = Math.sin((4 * Math.PI) / 5);

export function radix5Stage(
  sr: Doubles, si: Doubles, dr: Doubles, di: Doubles,
  L: number, m: number, twr: Doubles, twi: Doubles,
): void {
  const Lm = L * m;
  for (let j = 0; j < L; j++) {
    const t = 4 * j;
    const w1r = twr[t]!, w1i = twi[t]!;
    const w2r = twr[t + 1]!, w2i = twi[t + 1]!;
    const w3r = twr[t + 2]!, w3i = twi[t + 2]!;
    const w4r = twr[t + 3]!, w4i = twi[t + 3]!;
    const inBase = 5 * j * m;
    const outBase = j * m;
    for (let k = 0; k < m; k++) {
      const i0 = inBase + k;
      const a0r = sr[i0]!, a0i = si[i0]!;
      let xr = sr[i0 + m]!, xi = si[i0 + m]!;
      const b1r = xr * w1r - xi * w1i, b1i = xr * w1i + xi * w1r;
      xr = sr[i0 + 2 * m]!;
      xi = si[i0 + 2 * m]!;
      const b2r = xr * w2r - xi * w2i, b2i = xr * w2i + xi * w2r;
      xr = sr[i0 + 3 * m]!;
      xi = si[i0 + 3 * m]!;
      const b3r = xr * w3r - xi * w3i, b3i = xr * w3i + xi * w3r;
      xr = sr[i0 + 4 * m]!;
      xi = si[i0 + 4 * m]!;
      const b4r = xr * w4r - xi * w4i, b4i = xr * w4i + xi * w4r;
      const t1r = b1r + b4r, t1i = b1i + b4i;
      const t2r = b2r + b3r, t2i = b2i + b3i;
      const d1r = b1r - b4r, d1i = b1i - b4i;
      const d2r = b2r - b3r, d2i = b2i - b3i;
      const m1r = a0r + C1_5 * t1r + C2_5 * t2r, m1i = a0i + C1_5 * t1i + C2_5 * t2i;
      const m2r = a0r + C2_5 * t1r + C1_5 * t2r, m2i = a0i + C2_5 * t1i + C1_5 * t2i;
      const n1r = S1_5 * d1r + S2_5 * d2r, n1i = S1_5 * d1i + S2_5 * d2i;
      const n2r = S2_5 * d1r - S1_5 * d2r, n2i = S2_5 * d1i - S1_5 * d2i;
      const o0 = outBase + k;
      dr[o0] = a0r + t1r + t2r;
      di[o0] = a0i + t1i + t2i;
      // y_q = m - i n and y_{5-q} = m + i n.
      dr[o0 + Lm] = m1r + n1i;
      di[o0 + Lm] = m1i - n1r;
      dr[o0 + 4 * Lm] = m1r - n1i;
      di[o0 + 4 * Lm] = m1i + n1r;
      dr[o0 + 2 * Lm] = m2r + n2i;
      di[o0 + 2 * Lm] = m2i - n2r;
      dr[o0 + 3 * Lm] = m2r - n2i;
      di[o0 + 3 * Lm] = m2i + n2r;
    }
  }
}

/** Scratch and constants of a generic odd-radix stage (allocated once per plan). */
export interface OddRadixTables {
  p: number;
  /** cos(2 pi t / p) and sin(2 pi t / p) for t < p. */
  cos: Doubles;
  sin: Doubles;
  /** Sums b_v + b_{p-v} and differences b_v - b_{p-v}, v = 1..(p-1)/2. */
  sumr: Doubles;
  sumi: Doubles;
  difr: Doubles;
  difi: Doubles;
}

export function makeOddRadixTables(p: number): OddRadixTables {
  const half = (p - 1) / 2;
  const cos = doubles(p);
  const sin = doubles(p);
  for (let t = 0; t < p; t++) {
    cos[t] = Math.cos((2 * Math.PI * t) / p);
    sin[t] = Math.sin((2 * Math.PI * t) / p);
  }
  return {
    p,
    cos,
    sin,
    sumr: doubles(half + 1),
    sumi: doubles(half + 1),
    difr: doubles(half + 1),
    difi: doubles(half + 1),
  };
}

/** Any odd prime radix, pairing v with p - v so each output pair costs (p-1)/2 products. */
export function oddRadixStage(
  sr: Doubles, si: Doubles, dr: Doubles, di: Doubles,
  L: number, m: number, twr: Doubles, twi: Doubles, tables: OddRadixTables,
): void {
  const { p, cos, sin, sumr, sumi, difr, difi } = tables;
  const half = (p - 1) / 2;
  const Lm = L * m;
  for (let j = 0; j < L; j++) {
    const tBase = (p - 1) * j - 1;
    const inBase = p * j * m;
    const outBase = j * m;
    for (let k = 0; k < m; k++) {
      const i0 = inBase + k;
      const a0r = sr[i0]!, a0i = si[i0]!;
      let y0r = a0r, y0i = a0i;
      for (let v = 1; v <= half; v++) {
        const iv = i0 + v * m;
        const iw = i0 + (p - v) * m;
        let xr = sr[iv]!, xi = si[iv]!;
        let wr = twr[tBase + v]!, wi = twi[tBase + v]!;
        const bvr = xr * wr - xi * wi, bvi = xr * wi + xi * wr;
        xr = sr[iw]!;
        xi = si[iw]!;
        wr = twr[tBase + p - v]!;
        wi = twi[tBase + p - v]!;
        const bwr = xr * wr - xi * wi, bwi = xr * wi + xi * wr;
        sumr[v] = bvr + bwr;
        sumi[v] = bvi + bwi;
        difr[v] = bvr - bwr;
        difi[v] = bvi - bwi;
        y0r += bvr + bwr;
        y0i += bvi + bwi;
      }
      const o0 = outBase + k;
      dr[o0] = y0r;
      di[o0] = y0i;
      for (let q = 1; q <= half; q++) {
        let mr = a0r, mi = a0i, nr = 0, ni = 0;
        let t = 0;
        for (let v = 1; v <= half; v++) {
          t += q;
          if (t >= p) t -= p;
          const c = cos[t]!;
          const s = sin[t]!;
          mr += c * sumr[v]!;
          mi += c * sumi[v]!;
          nr += s * difr[v]!;
          ni += s * difi[v]!;
        }
        dr[o0 + q * Lm] = mr + ni;
        di[o0 + q * Lm] = mi - nr;
        dr[o0 + (p - q) * Lm] = mr - ni;
        di[o0 + (p - q) * Lm] = mi + nr;
      }
    }
  }
}

const SQRT1_2 = Math.SQRT1_2;

// The 8-point butterfly is written out in both radix-8 stages: a function taking 16 doubles is not
// reliably inlined, and a call boxes its arguments.

/**
 * Radix 8 as two radix-4 halves (even and odd inputs) joined by the eighth roots of unity: fewer
 * passes over memory and fewer twiddle products than radix 4 for powers of two.
 */
export function radix8Stage(
  sr: Doubles, si: Doubles, dr: Doubles, di: Doubles,
  L: number, m: number, twr: Doubles, twi: Doubles,
): void {
  const S = L * m;
  for (let j = 0; j < L; j++) {
    const t = 7 * j;
    const w1r = twr[t + 0]!, w1i = twi[t + 0]!;
    const w2r = twr[t + 1]!, w2i = twi[t + 1]!;
    const w3r = twr[t + 2]!, w3i = twi[t + 2]!;
    const w4r = twr[t + 3]!, w4i = twi[t + 3]!;
    const w5r = twr[t + 4]!, w5i = twi[t + 4]!;
    const w6r = twr[t + 5]!, w6i = twi[t + 5]!;
    const w7r = twr[t + 6]!, w7i = twi[t + 6]!;
    const inBase = 8 * j * m;
    const outBase = j * m;
    for (let k = 0; k < m; k++) {
      const i0 = inBase + k;
      const o = outBase + k;
      const b0r = sr[i0]!, b0i = si[i0]!;
      let xr: number, xi: number;
      xr = sr[i0 + 1 * m]!;
      xi = si[i0 + 1 * m]!;
      const b1r = xr * w1r - xi * w1i, b1i = xr * w1i + xi * w1r;
      xr = sr[i0 + 2 * m]!;
      xi = si[i0 + 2 * m]!;
      const b2r = xr * w2r - xi * w2i, b2i = xr * w2i + xi * w2r;
      xr = sr[i0 + 3 * m]!;
      xi = si[i0 + 3 * m]!;
      const b3r = xr * w3r - xi * w3i, b3i = xr * w3i + xi * w3r;
      xr = sr[i0 + 4 * m]!;
      xi = si[i0 + 4 * m]!;
      const b4r = xr * w4r - xi * w4i, b4i = xr * w4i + xi * w4r;
      xr = sr[i0 + 5 * m]!;
      xi = si[i0 + 5 * m]!;
      const b5r = xr * w5r - xi * w5i, b5i = xr * w5i + xi * w5r;
      xr = sr[i0 + 6 * m]!;
      xi = si[i0 + 6 * m]!;
      const b6r = xr * w6r - xi * w6i, b6i = xr * w6i + xi * w6r;
      xr = sr[i0 + 7 * m]!;
      xi = si[i0 + 7 * m]!;
      const b7r = xr * w7r - xi * w7i, b7i = xr * w7i + xi * w7r;
      // Even half: DFT4(b0, b2, b4, b6); odd half: DFT4(b1, b3, b5, b7).
      const e0r = b0r + b4r, e0i = b0i + b4i;
      const e1r = b0r - b4r, e1i = b0i - b4i;
      const e2r = b2r + b6r, e2i = b2i + b6i;
      const e3r = b2r - b6r, e3i = b2i - b6i;
      const o0r = b1r + b5r, o0i = b1i + b5i;
      const o1r = b1r - b5r, o1i = b1i - b5i;
      const o2r = b3r + b7r, o2i = b3i + b7i;
      const o3r = b3r - b7r, o3i = b3i - b7i;
      const E0r = e0r + e2r, E0i = e0i + e2i;
      const E2r = e0r - e2r, E2i = e0i - e2i;
      const E1r = e1r + e3i, E1i = e1i - e3r;
      const E3r = e1r - e3i, E3i = e1i + e3r;
      const O0r = o0r + o2r, O0i = o0i + o2i;
      // The odd half times w8^q: w8^1 = (1 - i)/sqrt2, w8^2 = -i, w8^3 = -(1 + i)/sqrt2.
      const T2r = o0i - o2i, T2i = o2r - o0r;
      const O1r = o1r + o3i, O1i = o1i - o3r;
      const O3r = o1r - o3i, O3i = o1i + o3r;
      const T1r = (O1r + O1i) * SQRT1_2, T1i = (O1i - O1r) * SQRT1_2;
      const T3r = (O3i - O3r) * SQRT1_2, T3i = -(O3r + O3i) * SQRT1_2;
      dr[o] = E0r + O0r;
      di[o] = E0i + O0i;
      dr[o + S] = E1r + T1r;
      di[o + S] = E1i + T1i;
      dr[o + 2 * S] = E2r + T2r;
      di[o + 2 * S] = E2i + T2i;
      dr[o + 3 * S] = E3r + T3r;
      di[o + 3 * S] = E3i + T3i;
      dr[o + 4 * S] = E0r - O0r;
      di[o + 4 * S] = E0i - O0i;
      dr[o + 5 * S] = E1r - T1r;
      di[o + 5 * S] = E1i - T1i;
      dr[o + 6 * S] = E2r - T2r;
      di[o + 6 * S] = E2i - T2i;
      dr[o + 7 * S] = E3r - T3r;
      di[o + 7 * S] = E3i - T3i;
    }
  }
}

/** The first radix-8 stage (L = 1): every twiddle is 1. */
export function radix8FirstStage(
  sr: Doubles, si: Doubles, dr: Doubles, di: Doubles, m: number,
): void {
  const S = m;
  for (let k = 0; k < m; k++) {
    const o = k;
    const b0r = sr[k]!, b0i = si[k]!;
    const b1r = sr[k + 1 * m]!, b1i = si[k + 1 * m]!;
    const b2r = sr[k + 2 * m]!, b2i = si[k + 2 * m]!;
    const b3r = sr[k + 3 * m]!, b3i = si[k + 3 * m]!;
    const b4r = sr[k + 4 * m]!, b4i = si[k + 4 * m]!;
    const b5r = sr[k + 5 * m]!, b5i = si[k + 5 * m]!;
    const b6r = sr[k + 6 * m]!, b6i = si[k + 6 * m]!;
    const b7r = sr[k + 7 * m]!, b7i = si[k + 7 * m]!;
    // Even half: DFT4(b0, b2, b4, b6); odd half: DFT4(b1, b3, b5, b7).
    const e0r = b0r + b4r, e0i = b0i + b4i;
    const e1r = b0r - b4r, e1i = b0i - b4i;
    const e2r = b2r + b6r, e2i = b2i + b6i;
    const e3r = b2r - b6r, e3i = b2i - b6i;
    const o0r = b1r + b5r, o0i = b1i + b5i;
    const o1r = b1r - b5r, o1i = b1i - b5i;
    const o2r = b3r + b7r, o2i = b3i + b7i;
    const o3r = b3r - b7r, o3i = b3i - b7i;
    const E0r = e0r + e2r, E0i = e0i + e2i;
    const E2r = e0r - e2r, E2i = e0i - e2i;
    const E1r = e1r + e3i, E1i = e1i - e3r;
    const E3r = e1r - e3i, E3i = e1i + e3r;
    const O0r = o0r + o2r, O0i = o0i + o2i;
    // The odd half times w8^q: w8^1 = (1 - i)/sqrt2, w8^2 = -i, w8^3 = -(1 + i)/sqrt2.
    const T2r = o0i - o2i, T2i = o2r - o0r;
    const O1r = o1r + o3i, O1i = o1i - o3r;
    const O3r = o1r - o3i, O3i = o1i + o3r;
    const T1r = (O1r + O1i) * SQRT1_2, T1i = (O1i - O1r) * SQRT1_2;
    const T3r = (O3i - O3r) * SQRT1_2, T3i = -(O3r + O3i) * SQRT1_2;
    dr[o] = E0r + O0r;
    di[o] = E0i + O0i;
    dr[o + S] = E1r + T1r;
    di[o + S] = E1i + T1i;
    dr[o + 2 * S] = E2r + T2r;
    di[o + 2 * S] = E2i + T2i;
    dr[o + 3 * S] = E3r + T3r;
    di[o + 3 * S] = E3i + T3i;
    dr[o + 4 * S] = E0r - O0r;
    di[o + 4 * S] = E0i - O0i;
    dr[o + 5 * S] = E1r - T1r;
    di[o + 5 * S] = E1i - T1i;
    dr[o + 6 * S] = E2r - T2r;
    di[o + 6 * S] = E2i - T2i;
    dr[o + 7 * S] = E3r - T3r;
    di[o + 7 * S] = E3i - T3i;
  }
}
