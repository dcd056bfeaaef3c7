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
 * (row-major): Householder reduction to tridiagonal form, then the implicit QL algorithm (EISPACK
 * tred2 and tql2, as JAMA writes them). O(n^3): a block of 256 states (n = 512 here) takes about
 * a second. vectors[i * n + k] is component i of vector k.
 */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const v = Array.from({ length: n }, (_, i) => Float64Array.from(matrix.subarray(i * n, (i + 1) * n)));
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tridiagonalize(v, d, e, n);
  diagonalize(v, d, e, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[i]! - d[j]!);
  const values = Float64Array.from(order, (i) => d[i]!);
  const vectors = new Float64Array(n * n);
  order.forEach((from, to) => {
    for (let k = 0; k < n; k++) vectors[k * n + to] = v[k]![from]!;
  });
  return { values, vectors };
}

/** tred2: v becomes the orthogonal transformation, d the diagonal, e the off-diagonal. */
function tridiagonalize(v: Float64Array[], d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = v[n - 1]![j]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = v[i - 1]![j]!;
        v[i]![j] = 0;
        v[j]![i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        v[j]![i] = f;
        g = e[j]! + v[j]![j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += v[k]![j]! * d[k]!;
          e[k] = e[k]! + v[k]![j]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) v[k]![j] = v[k]![j]! - (f * e[k]! + g * d[k]!);
        d[j] = v[i - 1]![j]!;
        v[i]![j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    v[n - 1]![i] = v[i]![i]!;
    v[i]![i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = v[k]![i + 1]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += v[k]![i + 1]! * v[k]![j]!;
        for (let k = 0; k <= i; k++) v[k]![j] = v[k]![j]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) v[k]![i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = v[n - 1]![j]!;
    v[n - 1]![j] = 0;
  }
  v[n - 1]![n - 1] = 1;
  e[0] = 0;
}

/** tql2: the eigenvalues into d, the eigenvectors into v's columns. */
function diagonalize(v: Float64Array[], d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n && Math.abs(e[m]!) > eps * tst1) m++;
    if (m > l) {
      do {
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          for (let k = 0; k < n; k++) {
            const row = v[k]!;
            h = row[i + 1]!;
            row[i + 1] = s * row[i]! + c * h;
            row[i] = c * row[i]! - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
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
