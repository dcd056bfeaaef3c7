// Finite-difference gradient checks for tfjs functions.
//
// tfjs computes in float32, so central differences of the tfjs function itself are only good to
// about 1e-3. The precise check differentiates a float64 reference of the same scalar function
// (`reference`) and compares it with tf.grads of the float32 program; without a reference the
// differences are taken through tfjs with a coarser step.
import * as tf from '@tensorflow/tfjs';

/** A scalar function of float64 copies of the inputs (same order and flattening as the tensors). */
export type Float64ScalarFn = (...inputs: Float64Array[]) => number;

export interface GradcheckOptions {
  /** Float64 reference of the function; central differences are taken of it when given. */
  reference?: Float64ScalarFn;
  /** Finite-difference step: default 1e-6 with a reference, 1e-2 through tfjs (float32). */
  eps?: number;
  /** Element passes when |analytic - numeric| <= atol + rtol * |numeric|. Default 1e-4. */
  atol?: number;
  /** Default 1e-3. */
  rtol?: number;
}

export interface GradcheckResult {
  /** tf.grads of the tfjs function, one flattened array per input. */
  analytic: Float64Array[];
  /** Central differences, one flattened array per input. */
  numeric: Float64Array[];
  maxAbsError: number;
  /** max over elements of |analytic - numeric| / (atol + rtol * |numeric|); <= 1 passes. */
  maxScaledError: number;
  /** The element with the largest scaled error. */
  worst: { input: number; index: number; analytic: number; numeric: number };
  ok: boolean;
}

/** Central differences of a scalar float64 function at x (x is not modified). */
export function numericGradient(
  f: (x: Float64Array) => number,
  x: ArrayLike<number>,
  eps = 1e-6,
): Float64Array {
  const point = Float64Array.from(x);
  const grad = new Float64Array(point.length);
  for (let i = 0; i < point.length; i++) {
    const saved = point[i]!;
    point[i] = saved + eps;
    const up = f(point);
    point[i] = saved - eps;
    const down = f(point);
    point[i] = saved;
    grad[i] = (up - down) / (2 * eps);
  }
  return grad;
}

/** Analytic gradients of f at the inputs via tf.grads, as float64 arrays (leaves no tensors). */
export function analyticGradients(
  f: (...inputs: tf.Tensor[]) => tf.Scalar,
  inputs: tf.Tensor[],
): Float64Array[] {
  const grads = tf.tidy(() => tf.grads((...xs: tf.Tensor[]) => f(...xs))(inputs));
  const out = grads.map((g) => Float64Array.from(g.dataSync()));
  tf.dispose(grads);
  return out;
}

function numericGradients(
  f: (...inputs: tf.Tensor[]) => tf.Scalar,
  inputs: tf.Tensor[],
  reference: Float64ScalarFn | undefined,
  eps: number,
): Float64Array[] {
  const values = inputs.map((t) => Float64Array.from(t.dataSync()));
  const viaTfjs: Float64ScalarFn = (...xs) =>
    tf.tidy(() => {
      const ts = xs.map((x, i) => tf.tensor(Float32Array.from(x), inputs[i]!.shape, 'float32'));
      return f(...ts).dataSync()[0]!;
    });
  const scalarFn = reference ?? viaTfjs;
  return values.map((v, which) =>
    numericGradient(
      (x) => scalarFn(...values.map((other, i) => (i === which ? x : other))),
      v,
      eps,
    ),
  );
}

/** Compares tf.grads of f with central differences; see GradcheckOptions. Never throws on mismatch. */
export function gradcheck(
  f: (...inputs: tf.Tensor[]) => tf.Scalar,
  inputs: tf.Tensor[],
  options: GradcheckOptions = {},
): GradcheckResult {
  const atol = options.atol ?? 1e-4;
  const rtol = options.rtol ?? 1e-3;
  const eps = options.eps ?? (options.reference ? 1e-6 : 1e-2);
  const analytic = analyticGradients(f, inputs);
  const numeric = numericGradients(f, inputs, options.reference, eps);
  let maxAbsError = 0;
  let maxScaledError = 0;
  let worst = { input: -1, index: -1, analytic: Number.NaN, numeric: Number.NaN };
  analytic.forEach((a, which) => {
    const n = numeric[which]!;
    if (a.length !== n.length) {
      throw new Error(`gradient of input ${which} has ${a.length} elements, expected ${n.length}`);
    }
    for (let i = 0; i < a.length; i++) {
      const diff = Math.abs(a[i]! - n[i]!);
      // A NaN anywhere must fail the check, and NaN never compares greater than anything.
      const abs = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
      const scaled = abs / (atol + rtol * Math.abs(n[i]!));
      maxAbsError = Math.max(maxAbsError, abs);
      if (scaled > maxScaledError || worst.input < 0) {
        maxScaledError = Math.max(maxScaledError, scaled);
        worst = { input: which, index: i, analytic: a[i]!, numeric: n[i]! };
      }
    }
  });
  return { analytic, numeric, maxAbsError, maxScaledError, worst, ok: maxScaledError <= 1 };
}

/** gradcheck that throws an Error naming the worst element when the gradients disagree. */
export function assertGradcheck(
  f: (...inputs: tf.Tensor[]) => tf.Scalar,
  inputs: tf.Tensor[],
  options: GradcheckOptions = {},
): GradcheckResult {
  const result = gradcheck(f, inputs, options);
  if (!result.ok) {
    const { input, index, analytic, numeric } = result.worst;
    throw new Error(
      `gradient mismatch at input ${input}, element ${index}: analytic ${analytic}, ` +
        `numeric ${numeric} (max abs error ${result.maxAbsError}, scaled ${result.maxScaledError})`,
    );
  }
  return result;
}
