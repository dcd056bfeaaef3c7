// One AdamW update of a parameter in one pass: the moments and the parameter together. In tfjs
// ops the update is a dozen kernels per parameter (products, a square, a division, a square root,
// sums, the weight decay), about 250 small kernel calls a training step for one encoder block,
// each with the engine's own bookkeeping, all on one thread. No gradient: an update is never
// differentiated.
import type { NamedAttrMap } from '@tensorflow/tfjs';
import type { ArrayKernel } from './array-kernel.js';

export const ADAMW_KERNEL = 'LraAdamW';

export interface AdamWAttrs {
  beta1: number;
  beta2: number;
  /** Bias corrections 1 - beta1^t and 1 - beta2^t. */
  correction1: number;
  correction2: number;
  eps: number;
  /** The step's rate for this parameter. */
  rate: number;
  /** Decoupled weight decay (0: none), scaled by the rate as the rest of the update. */
  weightDecay: number;
}

/**
 * p, m, v <- the update of p with gradient g scale: m = beta1 m + (1 - beta1) g, v = beta2 v +
 * (1 - beta2) g^2, p = p - rate ((m / c1) / (sqrt(v / c2) + eps) + wd p), in float64 per element.
 */
export function adamWValues(
  param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, scale: number, attrs: AdamWAttrs,
  outParam: Float32Array, outM: Float32Array, outV: Float32Array,
): void {
  const { beta1, beta2, correction1, correction2, eps, rate, weightDecay } = attrs;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]! * scale;
    const mi = beta1 * m[i]! + (1 - beta1) * g;
    const vi = beta2 * v[i]! + (1 - beta2) * g * g;
    const p = param[i]!;
    const update = mi / correction1 / (Math.sqrt(vi / correction2) + eps) + weightDecay * p;
    outParam[i] = p - rate * update;
    outM[i] = mi;
    outV[i] = vi;
  }
}

export const adamWKernel: ArrayKernel = {
  kernelName: ADAMW_KERNEL,
  inputs: ['param', 'grad', 'm', 'v', 'scale'],
  outputShapes([param, grad, m, v, scale]) {
    const same = [grad!, m!, v!].every((shape) => shape.join() === param!.join());
    if (!same || scale!.reduce((a, b) => a * b, 1) !== 1) {
      const shape = (s: number[]) => `[${s.join(', ')}]`;
      throw new Error(`${ADAMW_KERNEL}: param, grad, m and v must share one shape and scale hold one value, got ${[param!, grad!, m!, v!, scale!].map(shape).join(', ')}`);
    }
    return [param!, param!, param!];
  },
  compute([param, grad, m, v, scale], _shapes, [outParam, outM, outV], attrs: NamedAttrMap) {
    adamWValues(param!, grad!, m!, v!, scale![0]!, attrs as unknown as AdamWAttrs, outParam!, outM!, outV!);
  },
};
