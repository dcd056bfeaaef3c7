// FFTNet's adaptive filter and modReLU on a spectrum in one kernel each way. As tfjs ops the
// filter and the activation are about 140 small kernels a training step (products, a square
// root, a maximum, a ReLU, casts and comparisons in the gradient, sums for the broadcast
// parameters), 60-75 ms of FFTNet's step at N 4096 on wasm and mostly on one thread; here they
// are one pass over the spectrum forward and one backward (on wasm the SIMD module
// ../simd/modrelu.wat: [8, 2049, 4, 16] forward 0.9 ms, backward 2.7 ms on one thread), split
// over the heap's threads by rows. The gradient's parameter sums are taken per row and added over
// the batch in order afterwards, so no thread count changes them.
// A gradient that is itself differentiated runs the same formula in tfjs ops (see higher-order.ts).
import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap } from '@tensorflow/tfjs';
import { splitModRelu, splitModReluGrad } from '../parallel/heap-pool.js';
import type { ArrayKernel } from './array-kernel.js';
import { gradientIsRecorded } from './higher-order.js';
import { heapMemoryOf } from '../simd/heap-simd.js';
import { modReluSimdFor, type ModReluSimd } from '../simd/simd-kernels.js';
import { modReluGradSlice, modReluSlice, reduceModReluSums, type ModReluLayout } from './modrelu-rows.js';

export const MODRELU_KERNEL = 'LraFilteredModRelu';
export const MODRELU_GRAD_KERNEL = 'LraFilteredModReluGrad';

export interface ModReluAttrs {
  minMagnitude: number;
  floor: number;
}

/** The layout of a [B, F, H, d] spectrum with scale [B or 1, F, H, 1] and bias [1, F, H, 1]; throws on others. */
function layoutOf(kernelName: string, spectrum: number[], scale: number[], bias: number[], attrs: NamedAttrMap): ModReluLayout {
  const [batch, bins, heads, width] = spectrum;
  const shape = (s: number[]) => `[${s.join(', ')}]`;
  if (spectrum.length !== 4 || scale.length !== 4 || bias.length !== 4 ||
    scale[1] !== bins || scale[2] !== heads || scale[3] !== 1 || (scale[0] !== 1 && scale[0] !== batch) ||
    bias[0] !== 1 || bias[1] !== bins || bias[2] !== heads || bias[3] !== 1) {
    throw new Error(`${kernelName}: expected a spectrum [B, F, H, d], scale [B or 1, F, H, 1] and bias [1, F, H, 1], got ${shape(spectrum)}, ${shape(scale)}, ${shape(bias)}`);
  }
  const { minMagnitude, floor } = attrs as unknown as ModReluAttrs;
  return { width: width!, rowsPerExample: bins! * heads!, scalePerExample: scale[0] !== 1 || batch === 1, minMagnitude, floor };
}

function sameShapes(kernelName: string, shapes: number[][]): void {
  if (shapes.some((s) => s.join() !== shapes[0]!.join())) throw new Error(`${kernelName}: the spectra's shapes differ: ${shapes.map((s) => `[${s.join(', ')}]`).join(', ')}`);
}

const rowsOf = (spectrum: number[]): number => spectrum[0]! * spectrum[1]! * spectrum[2]!;

/** The SIMD module where the arrays lie on the wasm heap and rows are in fours; else null (JavaScript). */
function simdOver(arrays: readonly Float32Array[], layout: ModReluLayout): ModReluSimd | null {
  const memory = heapMemoryOf(arrays);
  return memory === undefined ? null : modReluSimdFor(memory, layout.width);
}

export const modReluKernel: ArrayKernel = {
  kernelName: MODRELU_KERNEL,
  inputs: ['re', 'im', 'scale', 'bias'],
  outputShapes([re, im, scale, bias], attrs) {
    sameShapes(MODRELU_KERNEL, [re!, im!]);
    layoutOf(MODRELU_KERNEL, re!, scale!, bias!, attrs);
    return [re!, re!];
  },
  compute([re, im, scale, bias], [shape, , scaleShape, biasShape], [yRe, yIm], attrs) {
    const layout = layoutOf(MODRELU_KERNEL, shape!, scaleShape!, biasShape!, attrs);
    const rows = rowsOf(shape!);
    if (!splitModRelu([re!, im!, scale!, bias!, yRe!, yIm!], rows, layout)) modReluSlice(simdOver([re!, im!, scale!, bias!, yRe!, yIm!], layout), re!, im!, scale!, bias!, layout, yRe!, yIm!, 0, rows);
  },
};

export const modReluGradKernel: ArrayKernel = {
  kernelName: MODRELU_GRAD_KERNEL,
  inputs: ['dRe', 'dIm', 're', 'im', 'scale', 'bias'],
  outputShapes([dRe, dIm, re, im, scale, bias], attrs) {
    sameShapes(MODRELU_GRAD_KERNEL, [dRe!, dIm!, re!, im!]);
    layoutOf(MODRELU_GRAD_KERNEL, re!, scale!, bias!, attrs);
    return [re!, re!, scale!, bias!];
  },
  // The per-row sums of the parameters' gradients: two floats a row.
  scratchFloats: ([, , re]) => 2 * rowsOf(re!),
  compute([dRe, dIm, re, im, scale, bias], [, , shape, , scaleShape, biasShape], [dre, dim, dscale, dbias], attrs, scratch) {
    const layout = layoutOf(MODRELU_GRAD_KERNEL, shape!, scaleShape!, biasShape!, attrs);
    const rows = rowsOf(shape!);
    const sums = scratch ?? new Float32Array(2 * rows);
    const [scaleSums, biasSums] = [sums.subarray(0, rows), sums.subarray(rows, 2 * rows)];
    if (!splitModReluGrad([dRe!, dIm!, re!, im!, scale!, bias!, dre!, dim!, sums], rows, layout)) {
      modReluGradSlice(simdOver([dRe!, dIm!, re!, im!, scale!, bias!, dre!, dim!, sums], layout), dRe!, dIm!, re!, im!, scale!, bias!, layout, dre!, dim!, scaleSums, biasSums, 0, rows);
    }
    reduceModReluSums(scaleSums, biasSums, rows, layout, dscale!, dbias!);
  },
};

/** Sums t down to `shape` (the axes where shape has 1 and t does not). */
function sumTo(t: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = shape.map((size, axis) => (size === 1 && t.shape[axis] !== 1 ? axis : -1)).filter((axis) => axis >= 0);
  return axes.length === 0 ? t : tf.sum(t, axes, true);
}

/** The gradient kernel's formula in tfjs ops (modrelu-rows.ts's), differentiable again. */
function composedModReluGrad(
  dRe: tf.Tensor, dIm: tf.Tensor, re: tf.Tensor, im: tf.Tensor, scale: tf.Tensor, bias: tf.Tensor, attrs: ModReluAttrs,
): { re: tf.Tensor; im: tf.Tensor; scale: tf.Tensor; bias: tf.Tensor } {
  const [zr, zi] = [tf.mul(re, scale), tf.mul(im, scale)];
  const magnitude = tf.sqrt(tf.add(tf.add(tf.square(zr), tf.square(zi)), attrs.floor));
  const shifted = tf.add(magnitude, bias);
  const denominator = tf.maximum(magnitude, attrs.minMagnitude);
  const numerator = tf.relu(shifted);
  const gain = tf.div(numerator, denominator);
  const dGain = tf.add(tf.mul(dRe, zr), tf.mul(dIm, zi));
  const viaNumerator = tf.div(tf.mul(dGain, tf.step(shifted)), denominator);
  const viaDenominator = tf.mul(tf.div(tf.mul(dGain, numerator), tf.square(denominator)), tf.cast(tf.greaterEqual(magnitude, attrs.minMagnitude), 'float32'));
  const perMagnitude = tf.div(tf.sub(viaNumerator, viaDenominator), magnitude);
  const dzr = tf.add(tf.mul(dRe, gain), tf.mul(perMagnitude, zr));
  const dzi = tf.add(tf.mul(dIm, gain), tf.mul(perMagnitude, zi));
  return {
    re: tf.mul(dzr, scale),
    im: tf.mul(dzi, scale),
    scale: sumTo(tf.add(tf.mul(dzr, re), tf.mul(dzi, im)), scale.shape),
    bias: sumTo(viaNumerator, bias.shape),
  };
}

export const modReluGradient: tf.GradConfig = {
  kernelName: MODRELU_KERNEL,
  inputsToSave: ['re', 'im', 'scale', 'bias'],
  gradFunc: (dy, saved, attrs) => {
    const [re, im, scale, bias] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const [dRe, dIm] = dy as [tf.Tensor, tf.Tensor];
    const modReluAttrs = attrs as unknown as ModReluAttrs;
    if (gradientIsRecorded()) {
      const g = composedModReluGrad(dRe, dIm, re, im, scale, bias, modReluAttrs);
      return { re: () => g.re, im: () => g.im, scale: () => g.scale, bias: () => g.bias };
    }
    const [dre, dim, dscale, dbias] = tf.engine().runKernel(
      MODRELU_GRAD_KERNEL, { dRe, dIm, re, im, scale, bias }, attrs as NamedAttrMap,
    ) as tf.Tensor[];
    return { re: () => dre!, im: () => dim!, scale: () => dscale!, bias: () => dbias! };
  },
};

