// HiPPO-LegS (Gu, Dao, Ermon, Rudra, Re 2020) and the normal-plus-low-rank form S4 trains, as
// state-spaces/s4 builds them (src/models/hippo/hippo.py: transition('legs'),
// rank_correction('legs'), nplr). Float64 throughout; computed once per state size.
import { symmetricEigen } from './symmetric-eigen.js';

/**
 * The dense HiPPO-LegS matrices: A (row-major N x N) with A_nk = -sqrt(2n+1) sqrt(2k+1) for n > k,
 * -(n+1) on the diagonal and 0 above it; B_n = sqrt(2n+1).
 */
export function hippoLegs(stateSize: number): { a: Float64Array; b: Float64Array } {
  const n = stateSize;
  const a = new Float64Array(n * n);
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < row; col++) a[row * n + col] = -Math.sqrt(2 * row + 1) * Math.sqrt(2 * col + 1);
    a[row * n + row] = -(row + 1);
  }
  return { a, b: Float64Array.from({ length: n }, (_, i) => Math.sqrt(2 * i + 1)) };
}

/** P_n = sqrt(n + 1/2): A + P P^T is -1/2 I plus a skew-symmetric matrix, hence normal. */
export function legsRankCorrection(stateSize: number): Float64Array {
  return Float64Array.from({ length: stateSize }, (_, i) => Math.sqrt(i + 0.5));
}

/** The DPLR form of HiPPO-LegS, half of each conjugate pair kept (M = N/2 modes). */
export interface LegsNplr {
  /** Lambda, the eigenvalues of A + P P^T with negative imaginary part, ascending in it. */
  lambdaRe: Float64Array;
  lambdaIm: Float64Array;
  /** V^* P. */
  pRe: Float64Array;
  pIm: Float64Array;
  /** V^* B, its imaginary part clipped to [-bClip, bClip] as nplr's B_clip. */
  bRe: Float64Array;
  bIm: Float64Array;
  /** V [N, M] complex, row-major: A = [V, conj V] (diag(Lambda) - P P^*) [V, conj V]^* over all N states. */
  vRe: Float64Array;
  vIm: Float64Array;
}

const cache = new Map<string, LegsNplr>();

/**
 * Diagonalises the normal part of HiPPO-LegS as nplr('legs', N) does: its real part is the mean of
 * the diagonal (-1/2) and its imaginary part comes from the Hermitian eigenproblem of -i S (S the
 * skew-symmetric rest), solved here through the real symmetric embedding [[0, S], [-S, 0]], whose
 * spectrum is that of -i S twice over. Each eigenvector's phase is free; it is fixed as LAPACK's
 * zheevd leaves it for torch's and numpy's eigh (lower triangle): the Householder reduction keeps
 * the first coordinate apart, so each eigenvector's first component is real (made positive here;
 * a sign flips P and B of a mode together, which the kernel does not see). The phase matters:
 * nplr clips Im(V^* B) to [-bClip, bClip], which for LegS cuts the slowest modes' B (11 of 32
 * modes at N = 64).
 */
export function legsNplr(stateSize: number, bClip = 2): LegsNplr {
  const key = `${stateSize}/${bClip}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const n = stateSize;
  if (!Number.isInteger(n) || n < 2 || n % 2 !== 0) throw new Error(`legsNplr: state size must be a positive even integer, got ${n}`);
  const { a, b } = hippoLegs(n);
  const p = legsRankCorrection(n);
  const skew = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) skew[i * n + j] = a[i * n + j]! + p[i]! * p[j]!;
  let diagonal = 0;
  for (let i = 0; i < n; i++) diagonal += a[i * n + i]! + p[i]! * p[i]!;
  const realPart = diagonal / n;
  const embedded = new Float64Array(4 * n * n);
  const size = 2 * n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      embedded[i * size + n + j] = skew[i * n + j]!;
      embedded[(n + i) * size + j] = -skew[i * n + j]!;
    }
  }
  const { values, vectors } = symmetricEigen(embedded, size);
  const modes = n / 2;
  const out: LegsNplr = {
    lambdaRe: new Float64Array(modes).fill(realPart),
    lambdaIm: new Float64Array(modes),
    pRe: new Float64Array(modes),
    pIm: new Float64Array(modes),
    bRe: new Float64Array(modes),
    bIm: new Float64Array(modes),
    vRe: new Float64Array(n * modes),
    vIm: new Float64Array(n * modes),
  };
  for (let m = 0; m < modes; m++) {
    // Each eigenvalue of -i S appears twice, adjacent once sorted; the first n of the 2n are the
    // n/2 negative ones. Any unit vector (x; y) of the pair's eigenspace gives x + i y up to phase.
    const column = 2 * m;
    out.lambdaIm[m] = values[column]!;
    let pProjRe = 0;
    let pProjIm = 0;
    // v <- v * conj(v_0) / |v_0| makes v_0 real and positive.
    const firstRe = vectors[column]!;
    const firstIm = vectors[n * size + column]!;
    const firstNorm = Math.hypot(firstRe, firstIm);
    const phaseRe = firstRe / firstNorm;
    const phaseIm = -firstIm / firstNorm;
    let bProjRe = 0;
    let bProjIm = 0;
    for (let k = 0; k < n; k++) {
      const x = vectors[k * size + column]!;
      const y = vectors[(n + k) * size + column]!;
      const vr = x * phaseRe - y * phaseIm;
      const vi = x * phaseIm + y * phaseRe;
      out.vRe[k * modes + m] = vr;
      out.vIm[k * modes + m] = vi;
      // conj(v_k) P_k and conj(v_k) B_k
      pProjRe += vr * p[k]!;
      pProjIm -= vi * p[k]!;
      bProjRe += vr * b[k]!;
      bProjIm -= vi * b[k]!;
    }
    out.pRe[m] = pProjRe;
    out.pIm[m] = pProjIm;
    out.bRe[m] = bProjRe;
    out.bIm[m] = Math.min(bClip, Math.max(-bClip, bProjIm));
  }
  cache.set(key, out);
  return out;
}
