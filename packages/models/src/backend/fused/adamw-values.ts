// One AdamW update of a parameter, element by element, in float64 (adamw.ts's kernel). No
// imports: the heap pool's worker threads run slices of it.

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

/** The attributes in the order a heap job carries them (../parallel/heap-pool.ts writes, tasks.ts reads). */
export const ADAMW_ATTR_ORDER = ['beta1', 'beta2', 'correction1', 'correction2', 'eps', 'rate', 'weightDecay'] as const satisfies readonly (keyof AdamWAttrs)[];

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
