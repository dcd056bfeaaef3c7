// FAVOR+ random features as google-research/performer (fast_attention/jax) draws them: stacked
// blocks of d orthogonal rows (Q of the QR decomposition of a d x d Gaussian), the last block cut
// to the rows still needed, then each row rescaled by the norm of an independent d-dimensional
// Gaussian vector, so row lengths follow the chi distribution of unstructured Gaussian rows.
import type { UniformSource } from '../nn/initializers.js';

function gaussians(count: number, random: UniformSource): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}

/**
 * Q of a d x d Gaussian matrix by modified Gram-Schmidt on its columns, returned transposed (its
 * rows orthonormal), as the reference's `q.T`. Gram-Schmidt gives the QR factor whose R has a
 * positive diagonal: the Haar-distributed one.
 */
function orthogonalBlock(d: number, random: UniformSource): Float64Array {
  const a = gaussians(d * d, random); // a[r * d + c], columns are the vectors
  const q = new Float64Array(d * d); // q[c * d + r]: column c stored as row c (the transpose)
  for (let c = 0; c < d; c++) {
    const v = new Float64Array(d);
    for (let r = 0; r < d; r++) v[r] = a[r * d + c]!;
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let r = 0; r < d; r++) dot += q[p * d + r]! * v[r]!;
      for (let r = 0; r < d; r++) v[r] -= dot * q[p * d + r]!;
    }
    let norm = 0;
    for (let r = 0; r < d; r++) norm += v[r]! * v[r]!;
    norm = Math.sqrt(norm);
    for (let r = 0; r < d; r++) q[c * d + r] = v[r]! / norm;
  }
  return q;
}

/** W [features, d]: orthogonal blocks rescaled by Gaussian norms (the reference's scaling 0). */
export function orthogonalGaussianFeatures(features: number, d: number, random: UniformSource): Float32Array {
  const rows = new Float64Array(features * d);
  for (let filled = 0; filled < features; filled += d) {
    const block = orthogonalBlock(d, random);
    const take = Math.min(d, features - filled);
    rows.set(block.subarray(0, take * d), filled * d);
  }
  const norms = gaussians(features * d, random);
  const out = new Float32Array(features * d);
  for (let f = 0; f < features; f++) {
    let norm = 0;
    for (let c = 0; c < d; c++) norm += norms[f * d + c]! ** 2;
    norm = Math.sqrt(norm);
    for (let c = 0; c < d; c++) out[f * d + c] = rows[f * d + c]! * norm;
  }
  return out;
}
