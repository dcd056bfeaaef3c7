// S4 trains C~ = C (I - Abar^L) in place of C (state-spaces/s4 SSMKernelDPLR._setup_C, run once
// before the first forward pass): the generating function at L roots of unity then yields
// exactly the first L taps of C Abar^l Bbar, with no infinite tail folded onto them. The
// reference forms Abar^L by repeated squaring of the dense matrix; here the row vector C is
// stepped L times through Abar using the DPLR structure (O(N) a step, float64), which gives the
// same C Abar^L for a fraction of the work.

/** Float64 values of one tied copy set: Lambda, P [S, M]; dt [H]. */
export interface S4InitialSystem {
  dt: Float64Array;
  lambdaRe: Float64Array;
  lambdaIm: Float64Array;
  pRe: Float64Array;
  pIm: Float64Array;
  copies: number;
  modes: number;
}

/**
 * C~ = C - C Abar^L for C [outputs, H, M] (re, im), Abar = (I - dt/2 A)^{-1} (I + dt/2 A) over all
 * N = 2M states, A = diag(Lambda) - P P^*, channel h using tied copy h mod S. The state row stays
 * conjugate-symmetric, so only its first half is kept and sums over all N states are 2 Re(sum over M).
 */
export function cTildeFromC(
  cRe: Float64Array,
  cIm: Float64Array,
  outputs: number,
  system: S4InitialSystem,
  length: number,
): { re: Float64Array; im: Float64Array } {
  const { modes, copies } = system;
  const channels = system.dt.length;
  const re = Float64Array.from(cRe);
  const im = Float64Array.from(cIm);
  const dRe = new Float64Array(modes);
  const dIm = new Float64Array(modes);
  const eRe = new Float64Array(modes);
  const eIm = new Float64Array(modes);
  const xRe = new Float64Array(modes);
  const xIm = new Float64Array(modes);
  for (let h = 0; h < channels; h++) {
    const copy = h % copies;
    const half = system.dt[h]! / 2;
    const at = (arr: Float64Array, m: number) => arr[copy * modes + m]!;
    // d = 1 - dt/2 Lambda (the diagonal of I - dt/2 A's diagonal part), e = 1 + dt/2 Lambda.
    let lowRankGain = 0; // P^* D^{-1} P over all states (real)
    for (let m = 0; m < modes; m++) {
      dRe[m] = 1 - half * at(system.lambdaRe, m);
      dIm[m] = -half * at(system.lambdaIm, m);
      eRe[m] = 1 + half * at(system.lambdaRe, m);
      eIm[m] = half * at(system.lambdaIm, m);
      const pp = at(system.pRe, m) ** 2 + at(system.pIm, m) ** 2;
      const dd = dRe[m]! ** 2 + dIm[m]! ** 2;
      lowRankGain += (2 * pp * dRe[m]!) / dd;
    }
    const shermanMorrison = 1 + half * lowRankGain;
    for (let out = 0; out < outputs; out++) {
      const offset = (out * channels + h) * modes;
      for (let m = 0; m < modes; m++) {
        xRe[m] = cRe[offset + m]!;
        xIm[m] = cIm[offset + m]!;
      }
      for (let step = 0; step < length; step++) {
        // y = x (D + dt/2 P P^*)^{-1} by Sherman-Morrison: y = x D^{-1} - (dt/2) (x D^{-1} P) P^* D^{-1} / (1 + dt/2 P^* D^{-1} P).
        let xdp = 0;
        for (let m = 0; m < modes; m++) {
          const dd = dRe[m]! ** 2 + dIm[m]! ** 2;
          const qRe = (xRe[m]! * dRe[m]! + xIm[m]! * dIm[m]!) / dd;
          const qIm = (xIm[m]! * dRe[m]! - xRe[m]! * dIm[m]!) / dd;
          xRe[m] = qRe;
          xIm[m] = qIm;
          xdp += 2 * (qRe * at(system.pRe, m) - qIm * at(system.pIm, m));
        }
        const scale = (half * xdp) / shermanMorrison;
        let yp = 0;
        for (let m = 0; m < modes; m++) {
          // conj(P_m) / d_m
          const dd = dRe[m]! ** 2 + dIm[m]! ** 2;
          const pr = at(system.pRe, m);
          const pi = -at(system.pIm, m);
          const sRe = (pr * dRe[m]! + pi * dIm[m]!) / dd;
          const sIm = (pi * dRe[m]! - pr * dIm[m]!) / dd;
          xRe[m] = xRe[m]! - scale * sRe;
          xIm[m] = xIm[m]! - scale * sIm;
          yp += 2 * (xRe[m]! * at(system.pRe, m) - xIm[m]! * at(system.pIm, m));
        }
        // x <- y (I + dt/2 A) = y e - (dt/2) (y P) P^*.
        for (let m = 0; m < modes; m++) {
          const yr = xRe[m]!;
          const yi = xIm[m]!;
          xRe[m] = yr * eRe[m]! - yi * eIm[m]! - half * yp * at(system.pRe, m);
          xIm[m] = yr * eIm[m]! + yi * eRe[m]! + half * yp * at(system.pIm, m);
        }
      }
      for (let m = 0; m < modes; m++) {
        re[offset + m] = re[offset + m]! - xRe[m]!;
        im[offset + m] = im[offset + m]! - xIm[m]!;
      }
    }
  }
  return { re, im };
}
