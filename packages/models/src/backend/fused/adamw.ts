// One AdamW update of a parameter in one pass: the moments and the parameter together. In tfjs
// ops the update is a dozen kernels per parameter (products, a square, a division, a square root,
// sums, the weight decay), about 250 small kernel calls a training step for one encoder block,
// each with the engine's own bookkeeping, all on one thread. No gradient: an update is never
// differentiated.
import type { NamedAttrMap } from '@tensorflow/tfjs';
import type { ArrayKernel } from './array-kernel.js';
import { splitAdamW } from '../parallel/heap-pool.js';
import { adamWValues, type AdamWAttrs } from './adamw-values.js';

export type { AdamWAttrs } from './adamw-values.js';

export const ADAMW_KERNEL = 'LraAdamW';

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
    const [factor, update] = [scale![0]!, attrs as unknown as AdamWAttrs];
    // Element by element: any split over the heap's threads gives the bits of one pass.
    if (splitAdamW([param!, grad!, m!, v!, outParam!, outM!, outV!], factor, update)) return;
    adamWValues(param!, grad!, m!, v!, factor, update, outParam!, outM!, outV!);
  },
};
