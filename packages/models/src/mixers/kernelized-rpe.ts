// Kernelized attention with relative positional encoding (Luo et al. 2021):
//   z_i = phi(q_i)^T sum_j c_{j-i} phi(k_j) v_j^T / phi(q_i)^T sum_j c_{j-i} phi(k_j),
// c = exp(b) with b a learned bias per head and relative offset. The matrix [c_{j-i}] is
// Toeplitz, so each of the m (d + 1) channels phi(k_j)_a [v_j, 1]_c is multiplied by it with one
// FFT convolution (spectral.toeplitzMatvec, a circulant embedding of length >= 2N - 1):
// O(N log N) per channel instead of the N x N matrix.
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import type { ForwardContext } from '../nn/context.js';
import { dense, type Dense } from '../nn/dense.js';
import { xavierUniform, zeros } from '../nn/initializers.js';
import { toeplitzMatvec } from '../spectral/index.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface KernelizedRpeOptions {
  /**
   * 'positive': Performer's positive orthogonal random features, as the paper uses (its
   * kernel is the softmax kernel); 'elu': elu(x) + 1 (Katharopoulos et al.), deterministic,
   * m = head width.
   */
  featureMap: 'positive' | 'elu';
  /** m, the number of random features per head ('positive' only). */
  numFeatures: number;
}

// Performer's kernel_epsilon: keeps every feature strictly positive.
const FEATURE_EPSILON = 1e-4;
// Only a row with no real key at all has a zero denominator; its output is then 0, not NaN.
const MIN_DENOMINATOR = 1e-30;

/**
 * m x d Gaussian orthogonal random features (FAVOR+): stacked blocks of orthonormal rows
 * (Gram-Schmidt on Gaussian d x d blocks), each row rescaled by the norm of a Gaussian
 * d-vector so that rows are marginally Gaussian. Drawn in JavaScript from `seed`.
 */
export function orthogonalFeatures(count: number, dim: number, seed: string): Float32Array {
  const random = seedrandom.alea(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const out = new Float32Array(count * dim);
  for (let start = 0; start < count; start += dim) {
    const rows: Float64Array[] = [];
    while (rows.length < dim) {
      const v = Float64Array.from({ length: dim }, gaussian);
      for (const r of rows) {
        let dot = 0;
        for (let i = 0; i < dim; i++) dot += v[i]! * r[i]!;
        for (let i = 0; i < dim; i++) v[i] -= dot * r[i]!;
      }
      const norm = Math.hypot(...v);
      // A (vanishingly unlikely) near-dependent draw is redrawn.
      if (norm > 1e-6) rows.push(v.map((x) => x / norm));
    }
    for (let r = 0; r < dim && start + r < count; r++) {
      const scale = Math.hypot(...Array.from({ length: dim }, gaussian));
      for (let i = 0; i < dim; i++) out[(start + r) * dim + i] = rows[r]![i]! * scale;
    }
  }
  return out;
}

/**
 * Performer's positive features of x [..., N, d] for features w [m, d]:
 * m^{-1/2} (exp(w x' - |x'|^2 / 2 - stab) + eps), x' = x d^{-1/4}. Query rows are stabilised
 * by their own maximum, keys (when `keyMask` [B, N] is given) by one maximum over the real
 * positions and all features: constants that cancel in the ratio. Padded keys must not set the
 * key maximum, or one large padded key would push every real feature down to the eps floor.
 */
export function positiveFeatures(x: tf.Tensor4D, w: tf.Tensor2D, keyMask: tf.Tensor2D | null, isQuery: boolean): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, heads, length, dim] = x.shape;
    const count = w.shape[0];
    const scaled = tf.mul(x, dim ** -0.25);
    const projected = tf.reshape(tf.matMul(tf.reshape(scaled, [-1, dim]) as tf.Tensor2D, w, false, true), [batch, heads, length, count]);
    const halfNorm = tf.mul(tf.sum(tf.square(scaled), -1, true), 0.5);
    let stab: tf.Tensor;
    if (isQuery) stab = tf.max(projected, -1, true);
    else if (!keyMask) stab = tf.max(projected, [2, 3], true);
    else {
      const real = tf.reshape(keyMask, [batch, 1, length, 1]);
      const overReal = tf.max(tf.add(projected, tf.mul(tf.sub(real, 1), 1e9)), [2, 3], true);
      // A sequence without a real key keeps the plain maximum (its features are zeroed anyway).
      const anyReal = tf.greater(tf.max(real, [2, 3], true), 0);
      stab = tf.where(anyReal, overReal, tf.max(projected, [2, 3], true));
    }
    const features = tf.add(tf.exp(tf.sub(tf.sub(projected, halfNorm), stab)), FEATURE_EPSILON);
    return tf.mul(features, 1 / Math.sqrt(count)) as tf.Tensor4D;
  });
}

/**
 * The kernelized attention with relative positions for features phiQ, phiK [B, H, N, m],
 * values v [B, H, N, d] and Toeplitz coefficients c [H, 2N - 1] (by offset j - i, as
 * toeplitzMatvec). Rows of phiK at padded keys must already be zero. Returns [B, H, N, d].
 */
export function kernelizedRpeHeads(phiQ: tf.Tensor4D, phiK: tf.Tensor4D, v: tf.Tensor4D, c: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, heads, length, features] = phiK.shape;
    const dim = v.shape[3];
    // [v, 1]: the last channel carries the denominator through the same Toeplitz product.
    const valuesAndOne = tf.concat([v, tf.ones([batch, heads, length, 1])], 3);
    const channels = tf.mul(tf.expandDims(phiK, 4), tf.expandDims(valuesAndOne, 3)); // [B, H, N, m, d+1]
    // Channels lead and heads sit just before positions, so c [H, 2N-1] broadcasts over the
    // leading axis only: its gradient is then a cheap sum over axis 0 (sums over interior axes
    // of a 5-D tensor are an order of magnitude slower on wasm).
    const channelsFirst = tf.reshape(tf.transpose(channels, [0, 3, 4, 1, 2]), [batch * features * (dim + 1), heads, length]);
    const mixed = tf.reshape(toeplitzMatvec(c, channelsFirst), [batch, features, dim + 1, heads, length]);
    const byQuery = tf.transpose(mixed, [0, 3, 4, 2, 1]); // [B, H, N, d+1, m]
    const perQuery = tf.sum(tf.mul(byQuery, tf.expandDims(phiQ, 3)), -1); // [B, H, N, d+1]
    const numerator = tf.slice(perQuery, [0, 0, 0, 0], [batch, heads, length, dim]);
    const denominator = tf.maximum(tf.slice(perQuery, [0, 0, 0, dim], [batch, heads, length, 1]), MIN_DENOMINATOR);
    return tf.div(numerator, denominator) as tf.Tensor4D;
  });
}

function createKernelizedRpe(args: MixerArgs, options: KernelizedRpeOptions): Mixer {
  const { dModel, heads, seqLen } = args;
  const headDim = dModel / heads;
  const init = { bias: false, kernelInit: xavierUniform() };
  const project = (name: string): Dense => dense(args.params, name, { inputDim: dModel, units: dModel, ...init });
  const query = project('query');
  const key = project('key');
  const value = project('value');
  const output = project('output');
  // b = 0 at the start: c = 1 for every offset, plain kernelized attention.
  const relativeBias = args.params.add('relativeBias', [heads, 2 * seqLen - 1], zeros());
  // Fixed features per layer, drawn from the parameter scope's name: not trained, not redrawn.
  const featureValues =
    options.featureMap === 'positive' ? orthogonalFeatures(options.numFeatures, headDim, `kernelized-rpe/${args.params.prefix}`) : null;

  const phi = (x: tf.Tensor4D, mask: tf.Tensor2D | null, isQuery: boolean): tf.Tensor4D =>
    featureValues
      ? positiveFeatures(x, tf.tensor2d(featureValues, [options.numFeatures, headDim]), mask, isQuery)
      : (tf.add(tf.elu(x), 1) as tf.Tensor4D);

  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, _ctx: ForwardContext): tf.Tensor3D {
      const [batch, length] = x.shape;
      if (length > seqLen) throw new Error(`kernelized-rpe: its relative biases cover ${seqLen} positions, got ${length}`);
      if (mask && (mask.shape[0] !== batch || mask.shape[1] !== length)) {
        throw new Error(`kernelized-rpe: mask shape [${mask.shape}] does not match input [${batch}, ${length}]`);
      }
      return tf.tidy(() => {
        const split = (t: tf.Tensor): tf.Tensor4D =>
          tf.transpose(tf.reshape(t, [batch, length, heads, headDim]), [0, 2, 1, 3]) as tf.Tensor4D;
        const phiQ = phi(split(query.apply(x)), null, true);
        let phiK = phi(split(key.apply(x)), mask, false);
        // Padded keys leave both sums.
        if (mask) phiK = tf.mul(phiK, tf.reshape(mask, [batch, 1, length, 1])) as tf.Tensor4D;
        // Offsets -(length-1) .. length-1 sit in the middle of the -(seqLen-1) .. seqLen-1 table.
        const b = length === seqLen ? relativeBias : tf.slice(relativeBias, [0, seqLen - length], [heads, 2 * length - 1]);
        const mixed = kernelizedRpeHeads(phiQ, phiK, split(value.apply(x)), tf.exp(b) as tf.Tensor2D);
        return output.apply(tf.reshape(tf.transpose(mixed, [0, 2, 1, 3]), [batch, length, dModel]) as tf.Tensor3D);
      });
    },
  };
}

export const kernelizedRpe: MixerSpec<KernelizedRpeOptions> = {
  name: 'kernelized-rpe',
  title: 'Kernelized attention with relative positions (FFT Toeplitz)',
  paper:
    'Luo, Li, Cai, He, Wang and Zheng, "Stable, Fast and Accurate: Kernelized Attention with Relative Positional Encoding", NeurIPS 2021',
  kind: 'attention',
  // 16 features (about the head width at LRA's sizes): every feature costs d + 1 FFT channels.
  defaults: { featureMap: 'positive', numFeatures: 16 },
  choices: { featureMap: ['positive', 'elu'] },
  create: createKernelizedRpe,
  validate(args, options) {
    if (args.dModel % args.heads !== 0) return `dModel ${args.dModel} is not divisible by ${args.heads} heads`;
    if (!Number.isInteger(options.numFeatures) || options.numFeatures < 1) {
      return `numFeatures must be a positive integer, got ${options.numFeatures}`;
    }
    return null;
  },
};
