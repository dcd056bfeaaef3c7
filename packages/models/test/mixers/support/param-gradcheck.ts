// Finite-difference checks of a loss's gradients with respect to every parameter of a store,
// with the loss evaluated by tfjs itself (float32): each parameter element is nudged up and
// down through the variable, and the step actually taken (after rounding to float32) divides
// the difference.
import * as tf from '@tensorflow/tfjs';
import type { ParamStore } from '../../../src/nn/params.js';

export interface ParamGradcheckOptions {
  /** Default 1e-2: float32 losses need a coarse step. */
  eps?: number;
  /** Element passes when |analytic - numeric| <= atol + rtol * |numeric|. Defaults 2e-3, 2e-2. */
  atol?: number;
  rtol?: number;
}

export interface ParamGradcheckFailure {
  name: string;
  index: number;
  analytic: number;
  numeric: number;
}

/**
 * Compares tf.variableGrads of `loss` with central differences for every parameter in the
 * store; returns the elements that disagree (empty when all agree), and checks that every
 * parameter received a gradient.
 */
export function paramGradcheck(
  store: ParamStore,
  loss: () => tf.Scalar,
  options: ParamGradcheckOptions = {},
): ParamGradcheckFailure[] {
  const eps = options.eps ?? 1e-2;
  const atol = options.atol ?? 2e-3;
  const rtol = options.rtol ?? 2e-2;
  const params = store.variables();
  const { value, grads } = tf.variableGrads(loss, params.map((p) => p.variable));
  value.dispose();
  const failures: ParamGradcheckFailure[] = [];
  const evaluate = (): number => tf.tidy(() => loss().dataSync()[0]!);
  for (const { name, variable } of params) {
    const grad = grads[variable.name];
    if (!grad) {
      failures.push({ name, index: -1, analytic: Number.NaN, numeric: Number.NaN });
      continue;
    }
    const analytic = grad.dataSync();
    const original = Float32Array.from(variable.dataSync());
    const nudged = Float32Array.from(original);
    for (let i = 0; i < original.length; i++) {
      const up = Math.fround(original[i]! + eps);
      const down = Math.fround(original[i]! - eps);
      nudged[i] = up;
      tf.tidy(() => variable.assign(tf.tensor(nudged, variable.shape)));
      const lossUp = evaluate();
      nudged[i] = down;
      tf.tidy(() => variable.assign(tf.tensor(nudged, variable.shape)));
      const lossDown = evaluate();
      nudged[i] = original[i]!;
      const numeric = (lossUp - lossDown) / (up - down);
      const a = analytic[i]!;
      if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) failures.push({ name, index: i, analytic: a, numeric });
    }
    tf.tidy(() => variable.assign(tf.tensor(original, variable.shape)));
  }
  tf.dispose(grads);
  return failures;
}
