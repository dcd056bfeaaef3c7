// Layer normalisation over the last axis with scale and shift, forward and backward one kernel
// each. tfjs builds it from moments (mean, a squared difference, another mean), a subtraction,
// rsqrt, and two broadcast products and a sum; its gradient takes about twenty more kernels,
// among them reductions over the leading axes for scale and shift. The gradient kernel has a
// gradient of its own, so layer norm can be differentiated twice.
import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap } from '@tensorflow/tfjs';
import { splitLayerNorm, splitLayerNormGrad } from '../parallel/heap-pool.js';
import { heapMemoryOf } from '../simd/heap-simd.js';
import { columnSumsSimdFor, layerNormSimdFor, type ColumnSumsSimd, type LayerNormSimd } from '../simd/simd-kernels.js';
import type { ArrayKernel } from './array-kernel.js';
import { layerNormGradRowSums, layerNormRows } from './layer-norm-rows.js';
import { gradientIsRecorded } from './higher-order.js';

export const LAYER_NORM_KERNEL = 'LraLayerNorm';
export const LAYER_NORM_GRAD_KERNEL = 'LraLayerNormGrad';

export interface LayerNormAttrs {
  /** Added to the (biased) variance. */
  eps: number;
}

export { layerNormGradRowSums, layerNormRows } from './layer-norm-rows.js';

/**
 * With xhat = (x - mean) rstd and g = dy scale: dx = rstd (g - mean(g) - xhat mean(g xhat)),
 * dscale = sum over rows of dy xhat, dbias = sum over rows of dy.
 */
export function layerNormGradRows(
  dy: Float32Array, x: Float32Array, scale: Float32Array, mean: Float32Array, rstd: Float32Array, d: number,
  dx: Float32Array, dscale: Float32Array, dbias: Float32Array,
): void {
  const scaleSums = new Float64Array(d);
  const biasSums = new Float64Array(d);
  layerNormGradRowSums(dy, x, scale, mean, rstd, d, dx, scaleSums, biasSums);
  dscale.set(scaleSums);
  dbias.set(biasSums);
}

/** The SIMD kernels, where the arrays lie on the wasm backend's heap and d is a multiple of 4; else null. */
function simdOver(arrays: readonly Float32Array[], d: number): LayerNormSimd | null {
  const memory = heapMemoryOf(arrays);
  return memory === undefined ? null : layerNormSimdFor(memory, d);
}

/** The SIMD kernels of the gradient (dx, and the column sums), or null. */
function gradSimdOver(arrays: readonly Float32Array[], d: number): { layerNorm: LayerNormSimd; sums: ColumnSumsSimd } | null {
  const memory = heapMemoryOf(arrays);
  if (memory === undefined) return null;
  const layerNorm = layerNormSimdFor(memory, d);
  const sums = columnSumsSimdFor(memory);
  return layerNorm === null || sums === null ? null : { layerNorm, sums };
}

function checkParams(kernelName: string, x: number[], params: number[][]): number {
  const d = x[x.length - 1];
  if (d === undefined) throw new Error(`${kernelName}: x must have rank >= 1`);
  for (const shape of params) {
    if (shape.length !== 1 || shape[0] !== d) {
      throw new Error(`${kernelName}: scale and bias must have shape [${d}], got [${shape.join(', ')}]`);
    }
  }
  return d;
}

export const layerNormKernel: ArrayKernel = {
  kernelName: LAYER_NORM_KERNEL,
  inputs: ['x', 'scale', 'bias'],
  outputShapes([x, scale, bias]) {
    checkParams(LAYER_NORM_KERNEL, x!, [scale!, bias!]);
    const rows = x!.slice(0, -1);
    return [x!, rows, rows];
  },
  compute([x, scale, bias], [shape], [y, mean, rstd], attrs: NamedAttrMap) {
    const { eps } = attrs as unknown as LayerNormAttrs;
    const d = shape![shape!.length - 1]!;
    if (splitLayerNorm(x!, scale!, bias!, d, eps, y!, mean!, rstd!)) return;
    const simd = simdOver([x!, scale!, bias!, y!, mean!, rstd!], d);
    if (simd === null) layerNormRows(x!, scale!, bias!, d, eps, y!, mean!, rstd!);
    else simd.layerNorm(x!.byteOffset, scale!.byteOffset, bias!.byteOffset, y!.byteOffset, mean!.byteOffset, rstd!.byteOffset, mean!.length, d, eps);
  },
};

export const layerNormGradKernel: ArrayKernel = {
  kernelName: LAYER_NORM_GRAD_KERNEL,
  inputs: ['dy', 'x', 'scale', 'mean', 'rstd'],
  outputShapes([dy, x, scale, mean, rstd]) {
    const d = checkParams(LAYER_NORM_GRAD_KERNEL, x!, [scale!]);
    const rows = x!.slice(0, -1).join();
    if (dy!.join() !== x!.join() || mean!.join() !== rows || rstd!.join() !== rows) {
      throw new Error(`${LAYER_NORM_GRAD_KERNEL}: dy, mean and rstd do not match x [${x!.join(', ')}]`);
    }
    return [x!, [d], [d]];
  },
  // The SIMD column sums' float64 accumulators: two per column.
  scratchFloats: ([x]) => 4 * x![x!.length - 1]!,
  compute([dy, x, scale, mean, rstd], [, shape], [dx, dscale, dbias], _attrs, scratch) {
    const d = shape![shape!.length - 1]!;
    if (splitLayerNormGrad(dy!, x!, scale!, mean!, rstd!, d, dx!, dscale!, dbias!, scratch)) return;
    const simd = scratch === undefined ? null : gradSimdOver([dy!, x!, scale!, mean!, rstd!, dx!, dscale!, dbias!, scratch], d);
    if (simd === null) {
      layerNormGradRows(dy!, x!, scale!, mean!, rstd!, d, dx!, dscale!, dbias!);
      return;
    }
    simd.layerNorm.layerNormGradDx(dy!.byteOffset, x!.byteOffset, scale!.byteOffset, mean!.byteOffset, rstd!.byteOffset, dx!.byteOffset, mean!.length, d);
    simd.sums.layerNormColumnSums(dy!.byteOffset, x!.byteOffset, mean!.byteOffset, rstd!.byteOffset, mean!.length, 4 * d, d, dscale!.byteOffset, dbias!.byteOffset, scratch!.byteOffset);
  },
};

/** Sums a [..., d] tensor over every axis but the last. */
function sumRows(t: tf.Tensor): tf.Tensor {
  const d = t.shape[t.rank - 1]!;
  return tf.sum(tf.reshape(t, [-1, d]), 0);
}

/** Whether every element is zero (read from cpu or wasm memory: one value per row). */
function allZero(t: tf.Tensor): boolean {
  return (t.dataSync() as Float32Array).every((v) => v === 0);
}

/**
 * Gradient of x through the mean and rstd outputs: d mean / dx_j = 1/d and
 * d rstd / dx_j = -rstd^3 (x_j - mean) / d.
 */
function statisticsGradient(x: tf.Tensor, mean: tf.Tensor, rstd: tf.Tensor, dMean: tf.Tensor, dRstd: tf.Tensor): tf.Tensor {
  const d = x.shape[x.rank - 1]!;
  const r = tf.expandDims(rstd, -1);
  const centred = tf.sub(x, tf.expandDims(mean, -1));
  const viaRstd = tf.mul(tf.mul(tf.expandDims(dRstd, -1), tf.pow(r, 3)), centred);
  return tf.div(tf.sub(tf.expandDims(dMean, -1), viaRstd), d);
}

/** Each row's mean and rstd from the forward kernel (the output y goes unused). */
function rowStatistics(x: tf.Tensor, scale: tf.Tensor, attrs: NamedAttrMap): [tf.Tensor, tf.Tensor] {
  const [, mean, rstd] = tf.engine().runKernel(LAYER_NORM_KERNEL, { x, scale, bias: tf.zerosLike(scale) }, attrs) as tf.Tensor[];
  return [mean!, rstd!];
}

export const layerNormGradient: tf.GradConfig = {
  kernelName: LAYER_NORM_KERNEL,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: (dy, saved, attrs) => {
    const [x, scale, savedMean, savedRstd] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    // A recorded backward pass (a gradient of this gradient) recomputes mean and rstd from x,
    // so that they depend on x on the tape (see higher-order.ts); training uses the saved ones.
    const [mean, rstd] = gradientIsRecorded() ? rowStatistics(x, scale, attrs as NamedAttrMap) : [savedMean, savedRstd];
    const [dyOfY, dyOfMean, dyOfRstd] = dy as [tf.Tensor, tf.Tensor, tf.Tensor];
    const [dx, dscale, dbias] = tf.engine().runKernel(
      LAYER_NORM_GRAD_KERNEL, { dy: dyOfY, x, scale, mean, rstd }, {},
    ) as tf.Tensor[];
    return {
      x: () => {
        // In training only y reaches the loss and tfjs hands zeros for mean and rstd. They carry
        // gradients when this gradient is differentiated in turn (the gradient kernel takes them
        // as inputs), and only then are their terms worth computing.
        if (allZero(dyOfMean) && allZero(dyOfRstd)) return dx!;
        return tf.add(dx!, statisticsGradient(x, mean, rstd, dyOfMean, dyOfRstd));
      },
      scale: () => dscale!,
      bias: () => dbias!,
    };
  },
};

/**
 * The gradient kernel's own gradient, for second derivatives of layer norm. Per row, with
 * xhat = (x - mean) rstd, g = dy scale, A = mean(g), B = mean(g xhat), the kernel gives
 * dx = rstd (g - A - xhat B), dscale = sum over rows of dy xhat, dbias = sum over rows of dy.
 * Each input is differentiated with the others held fixed (mean and rstd included: the forward
 * kernel's gradient carries their dependence on x). For output gradients G, Gs, Gb, and
 * P(G) = rstd (G - mean(G) - xhat mean(G xhat)) (the kernel's dx at unit scale):
 *   dy:    scale P(G) + Gs xhat + Gb
 *   scale: sum over rows of dy P(G)
 *   x:     rstd dy Gs - rstd^2 (G B + g mean(G xhat))
 *   mean:  d rstd^2 (B mean(G) + A mean(G xhat)) - rstd sum(Gs dy)
 *   rstd:  sum(G (g - A - 3 xhat B)) + sum(Gs dy (x - mean))
 */
export const layerNormGradGradient: tf.GradConfig = {
  kernelName: LAYER_NORM_GRAD_KERNEL,
  inputsToSave: ['dy', 'x', 'scale', 'mean', 'rstd'],
  gradFunc: (upstream, saved) => {
    const [dy, x, scale, mean, rstd] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const [gDx, gScale, gBias] = upstream as [tf.Tensor, tf.Tensor, tf.Tensor];
    const d = x.shape[x.rank - 1]!;
    // Each closure runs in its own tidy (and only for inputs on the path), so nothing is shared.
    const r = (): tf.Tensor => tf.expandDims(rstd, -1);
    const centred = (): tf.Tensor => tf.sub(x, tf.expandDims(mean, -1));
    const rowMean = (t: tf.Tensor): tf.Tensor => tf.mean(t, -1, true);
    const projected = (): tf.Tensor => {
      const [unitDx] = tf.engine().runKernel(
        LAYER_NORM_GRAD_KERNEL, { dy: gDx, x, scale: tf.onesLike(scale), mean, rstd }, {},
      ) as tf.Tensor[];
      return unitDx!;
    };
    return {
      dy: () => tf.add(tf.add(tf.mul(projected(), scale), tf.mul(gScale, tf.mul(centred(), r()))), gBias),
      scale: () => sumRows(tf.mul(dy, projected())),
      x: () => {
        const rr = r();
        const xhat = tf.mul(centred(), rr);
        const g = tf.mul(dy, scale);
        const b = rowMean(tf.mul(g, xhat));
        const gb = rowMean(tf.mul(gDx, xhat));
        return tf.sub(tf.mul(rr, tf.mul(dy, gScale)), tf.mul(tf.square(rr), tf.add(tf.mul(gDx, b), tf.mul(g, gb))));
      },
      mean: () => {
        const rr = r();
        const xhat = tf.mul(centred(), rr);
        const g = tf.mul(dy, scale);
        const fromDx = tf.mul(tf.mul(tf.square(rr), d), tf.add(
          tf.mul(rowMean(tf.mul(g, xhat)), rowMean(gDx)), tf.mul(rowMean(g), rowMean(tf.mul(gDx, xhat))),
        ));
        const fromDscale = tf.mul(rr, tf.sum(tf.mul(gScale, dy), -1, true));
        return tf.reshape(tf.sub(fromDx, fromDscale), mean.shape);
      },
      rstd: () => {
        const c = centred();
        const xhat = tf.mul(c, r());
        const g = tf.mul(dy, scale);
        const inner = tf.sub(tf.sub(g, rowMean(g)), tf.mul(tf.mul(xhat, rowMean(tf.mul(g, xhat))), 3));
        return tf.add(tf.sum(tf.mul(gDx, inner), -1), tf.sum(tf.mul(tf.mul(gScale, dy), c), -1));
      },
    };
  },
};
