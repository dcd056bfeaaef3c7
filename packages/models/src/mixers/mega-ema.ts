// Mega's multi-dimensional damped exponential moving average (Ma et al. 2023, facebookresearch/mega
// fairseq/modules/exponential_moving_average.py, MultiHeadEMA), per channel with `ndim` components:
//   h_t = p * beta * x_t + (1 - p * a) * h_{t-1},  y_t = sum_n scale * gamma_n h_t,n,
//   p = sigmoid(delta), a = sigmoid(alpha), scale = sqrt(1 / ndim)
// (the paper's alpha is the code's sigmoid(delta), its damping factor sigmoid(alpha)). It runs as a
// long convolution with the kernel k_l = sum_n scale gamma_n p_n beta_n q_n^l, q = 1 - p a.
// Bidirectional, as the reference: 2D kernels, the first D run forwards (lags 0..K-1 into the
// past), the last D backwards (lags 0..K-1 into the future); both take lag 0.
import * as tf from '@tensorflow/tfjs';
import { normal, type Initializer } from '../nn/initializers.js';
import type { ParamScope } from '../nn/params.js';
import { fftconv, toeplitzMatvec } from '../spectral/index.js';

export interface MegaEmaParams {
  /** [K, ndim] each, K = D (one direction) or 2D (forward rows first, then backward). */
  delta: tf.Tensor;
  alpha: tf.Tensor;
  beta: tf.Tensor;
  gamma: tf.Tensor;
  /** [D]: the skip term, y + omega * x before the SiLU. */
  omega: tf.Tensor;
}

/** beta's initial mean: [1, -1, 1, -1, ...] over the ndim components, as the reference. */
function alternatingSigns(std: number): Initializer {
  const noise = normal(std);
  return {
    description: `(+1, -1, ...) + normal(${std})`,
    sample: (shape, random) => {
      const values = noise.sample(shape, random);
      const ndim = shape[shape.length - 1]!;
      for (let i = 0; i < values.length; i++) values[i]! += i % ndim % 2 === 0 ? 1 : -1;
      return values;
    },
  };
}

/** The EMA's parameters with the reference's initialisation (which exempts none from weight decay). */
export function megaEmaParams(scope: ParamScope, dModel: number, ndim: number, bidirectional: boolean): MegaEmaParams {
  const rows = bidirectional ? 2 * dModel : dModel;
  return {
    delta: scope.add('delta', [rows, ndim], normal(0.2)),
    alpha: scope.add('alpha', [rows, ndim], normal(0.2)),
    beta: scope.add('beta', [rows, ndim], alternatingSigns(0.02)),
    gamma: scope.add('gamma', [rows, ndim], normal(1)),
    omega: scope.add('omega', [dModel], normal(1)),
  };
}

/** The kernel [K, length]: k_l = sum_n sqrt(1/ndim) gamma_n p_n beta_n q_n^l. Call inside tf.tidy. */
export function megaEmaKernel(p: MegaEmaParams, length: number): tf.Tensor2D {
  const ndim = p.delta.shape[1]!;
  const damping = tf.sigmoid(p.delta);
  const decay = tf.sub(1, tf.mul(damping, tf.sigmoid(p.alpha))); // q in (0, 1)
  const weight = tf.mul(tf.mul(tf.mul(damping, p.beta), p.gamma), Math.sqrt(1 / ndim)); // [K, ndim]
  // Vandermonde q^l = exp(l log q), [K, ndim, length].
  const steps = tf.reshape(tf.range(0, length, 1, 'float32'), [1, 1, length]);
  const powers = tf.exp(tf.mul(tf.expandDims(tf.log(decay), 2), steps));
  return tf.sum(tf.mul(tf.expandDims(weight, 2), powers), 1) as tf.Tensor2D;
}

/** k [D, K] padded with zeros (or cut) to `length` lags. */
function toLength(k: tf.Tensor2D, length: number): tf.Tensor2D {
  const taps = k.shape[1];
  if (taps === length) return k;
  if (taps > length) return tf.slice(k, [0, 0], [-1, length]);
  return tf.pad(k, [
    [0, 0],
    [0, length - taps],
  ]);
}

/**
 * The coefficients of the two-sided convolution by offset j - i from -(L-1) to L-1 (the layout
 * toeplitzMatvec takes): the forward kernel at j - i = -m (m lags back), the backward kernel at
 * +m, both at 0. Call inside tf.tidy.
 */
export function twoSidedCoefficients(forward: tf.Tensor2D, backward: tf.Tensor2D, length: number): tf.Tensor2D {
  const channels = forward.shape[0];
  if (length === 1) return tf.add(toLength(forward, 1), toLength(backward, 1)) as tf.Tensor2D;
  const gap = tf.zeros([channels, length - 1]);
  const past = tf.concat([tf.reverse(toLength(forward, length), -1), gap], 1);
  const future = tf.concat([gap, toLength(backward, length)], 1);
  return tf.add(past, future) as tf.Tensor2D;
}

/**
 * The EMA's convolution of u [B, D, L] (padding already zeroed) with the kernel [K, taps]
 * (taps <= L: the reference's truncation), without the omega skip. Call inside tf.tidy.
 */
export function megaEmaConvolution(kernel: tf.Tensor2D, u: tf.Tensor3D, bidirectional: boolean): tf.Tensor3D {
  const [, channels, length] = u.shape;
  if (!bidirectional) return fftconv(u, kernel) as tf.Tensor3D;
  const forward = tf.slice(kernel, [0, 0], [channels, -1]);
  const backward = tf.slice(kernel, [channels, 0], [channels, -1]);
  return toeplitzMatvec(twoSidedCoefficients(forward, backward, length), u) as tf.Tensor3D;
}

/** The number of kernel taps at length L: the reference's truncation, min(truncation, L). */
export function megaEmaTaps(length: number, truncation: number | null): number {
  return truncation === null ? length : Math.min(truncation, length);
}

/**
 * The EMA sublayer on x [B, L, D]: silu(conv(x masked) + omega * x), as MultiHeadEMA.forward.
 * Padded positions are zeroed before the convolution, as the reference does. Call inside tf.tidy.
 */
export function megaEma(
  p: MegaEmaParams,
  x: tf.Tensor3D,
  mask: tf.Tensor2D | null,
  options: { bidirectional: boolean; truncation: number | null },
): tf.Tensor3D {
  const length = x.shape[1];
  const u = mask ? tf.mul(x, tf.expandDims(mask, 2)) : x;
  const kernel = megaEmaKernel(p, megaEmaTaps(length, options.truncation));
  const mixed = megaEmaConvolution(kernel, tf.transpose(u, [0, 2, 1]) as tf.Tensor3D, options.bidirectional);
  const y = tf.add(tf.transpose(mixed, [0, 2, 1]), tf.mul(x, p.omega));
  return tf.mul(y, tf.sigmoid(y)) as tf.Tensor3D;
}
