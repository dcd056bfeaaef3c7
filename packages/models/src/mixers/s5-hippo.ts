// S5's initial state matrix: the eigendecomposition of the normal part of HiPPO-LegS, put on the
// diagonal of each of J blocks, with the eigenvectors V that carry B and C into the eigenbasis
// (lindermanlab/S5 s5/ssm_init.py make_DPLR_HiPPO, s5/train.py). Computed in float64 JavaScript
// when a model is built; the values are fixed by the block size alone.

/** The eigen-pairs an S5 block starts from: N/2 eigenvalues (conjugate symmetry) and V [N, N/2]. */
export interface HippoEigenBasis {
  /** Block size N. */
  size: number;
  lambdaRe: Float64Array;
  lambdaIm: Float64Array;
  /** V [N, N/2], row-major: V[i, k] is component i of eigenvector k. Unitary columns. */
  vRe: Float64Array;
  vIm: Float64Array;
}

/**
 * Eigenvalues (ascending) and orthonormal eigenvectors of a real symmetric matrix [n, n]
 * (row-major), by cyclic Jacobi rotations: exact to rounding, and small enough here (n is twice
 * a block size) to need nothing faster. vectors[i * n + k] is component i of vector k.
 */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (const x of a) scale += x * x;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off <= 1e-30 * scale) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A <- J^T A J on rows and columns p, q.
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i * n + i]! - a[j * n + j]!);
  const values = Float64Array.from(order, (i) => a[i * n + i]!);
  const vectors = new Float64Array(n * n);
  order.forEach((from, to) => {
    for (let k = 0; k < n; k++) vectors[k * n + to] = v[k * n + from]!;
  });
  return { values, vectors };
}

const bases = new Map<number, HippoEigenBasis>();

/**
 * make_DPLR_HiPPO(N) restricted to what S5 keeps: S = A + p p^T with A = -HiPPO-LegS and
 * p_n = sqrt(n + 1/2) is -1/2 I plus a skew-symmetric matrix, so its eigenvalues are
 * mean(diag S) + i w with w the eigenvalues of the Hermitian -i S (eigh symmetrises it: the
 * diagonal drops out). S5 keeps the N/2 most negative w (eigh's ascending order) and their
 * eigenvectors; the other half are their conjugates.
 *
 * The Hermitian eigenproblem M = X + iY is solved as the real symmetric [[X, -Y], [Y, X]], whose
 * eigenvectors [u; v] are M's u + iv, each eigenvalue twice: one vector per pair is kept. An
 * eigenvector is fixed only up to a phase e^{i phi}; S5's layer is unchanged by it (B~ = V^H B
 * and C~ = C V turn by opposite phases), so its outputs do not depend on the eigensolver's choice.
 */
export function hippoEigenBasis(size: number): HippoEigenBasis {
  if (!Number.isInteger(size) || size < 2 || size % 2 !== 0) throw new Error(`HiPPO block size must be an even integer >= 2, got ${size}`);
  const cached = bases.get(size);
  if (cached) return cached;
  const n = size;
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const legS = i > j ? Math.sqrt((2 * i + 1) * (2 * j + 1)) : i === j ? i + 1 : 0;
      s[i * n + j] = -legS + Math.sqrt((i + 0.5) * (j + 0.5));
    }
  }
  let diagonalMean = 0;
  for (let i = 0; i < n; i++) diagonalMean += s[i * n + i]! / n;
  // M = -i S symmetrised: X = 0, Y = -(S - S^T) / 2.
  const real = new Float64Array(4 * n * n);
  const m = 2 * n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const y = -(s[i * n + j]! - s[j * n + i]!) / 2;
      real[i * m + (n + j)] = -y;
      real[(n + i) * m + j] = y;
    }
  }
  const { values, vectors } = symmetricEigen(real, m);
  const half = n / 2;
  const basis: HippoEigenBasis = {
    size: n,
    lambdaRe: new Float64Array(half).fill(diagonalMean),
    lambdaIm: new Float64Array(half),
    vRe: new Float64Array(n * half),
    vIm: new Float64Array(n * half),
  };
  for (let k = 0; k < half; k++) {
    // Sorted values come in equal pairs (2k, 2k + 1); the first of each pair stands for both.
    const column = 2 * k;
    basis.lambdaIm[k] = values[column]!;
    for (let i = 0; i < n; i++) {
      basis.vRe[i * half + k] = vectors[i * m + column]!;
      basis.vIm[i * half + k] = vectors[(n + i) * m + column]!;
    }
  }
  bases.set(size, basis);
  return basis;
}

/**
 * B~ = V^{-1} B for S5's block-diagonal V (J copies of a block's V) and a real B [P, H]:
 * [P/2, H, 2] (real, imaginary last), as S5's init_VinvB. V^{-1} = V^H (unitary blocks).
 */
export function projectInput(basis: HippoEigenBasis, blocks: number, b: ArrayLike<number>, channels: number): Float32Array {
  const n = basis.size;
  const half = n / 2;
  const out = new Float32Array(blocks * half * channels * 2);
  for (let block = 0; block < blocks; block++) {
    for (let k = 0; k < half; k++) {
      for (let h = 0; h < channels; h++) {
        let re = 0;
        let im = 0;
        for (let i = 0; i < n; i++) {
          const value = b[(block * n + i) * channels + h]!;
          re += basis.vRe[i * half + k]! * value;
          im -= basis.vIm[i * half + k]! * value;
        }
        const at = ((block * half + k) * channels + h) * 2;
        out[at] = re;
        out[at + 1] = im;
      }
    }
  }
  return out;
}

/**
 * C~ = C V for a complex C [H, P, 2] (real, imaginary last) and S5's block-diagonal V:
 * [H, P/2, 2], as S5's init_CV.
 */
export function projectOutput(basis: HippoEigenBasis, blocks: number, c: ArrayLike<number>, channels: number): Float32Array {
  const n = basis.size;
  const half = n / 2;
  const states = blocks * n;
  const out = new Float32Array(channels * blocks * half * 2);
  for (let h = 0; h < channels; h++) {
    for (let block = 0; block < blocks; block++) {
      for (let k = 0; k < half; k++) {
        let re = 0;
        let im = 0;
        for (let i = 0; i < n; i++) {
          const at = (h * states + block * n + i) * 2;
          const cRe = c[at]!;
          const cIm = c[at + 1]!;
          const vRe = basis.vRe[i * half + k]!;
          const vIm = basis.vIm[i * half + k]!;
          re += cRe * vRe - cIm * vIm;
          im += cRe * vIm + cIm * vRe;
        }
        const at = (h * blocks * half + block * half + k) * 2;
        out[at] = re;
        out[at + 1] = im;
      }
    }
  }
  return out;
}
