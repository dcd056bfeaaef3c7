// FFTNet's fused filter and modReLU (src/backend/fused/modrelu.ts): values and gradients against
// the tfjs ops they replace (tfjs's own autodiff of the composition), with magnitudes on both
// sides of the floor c and of the ReLU's kink, scales per example or shared (cpu: the JavaScript
// rows; wasm: the SIMD module, d a multiple of 4); second derivatives; and the same bits for any
// slicing of rows over threads, SIMD rows and JavaScript ones.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { MODRELU_KERNEL, modReluGradKernel, modReluKernel } from '../../../src/backend/fused/modrelu.js';
import { reduceModReluSums, type ModReluLayout } from '../../../src/backend/fused/modrelu-rows.js';
import { registerFusedKernels } from '../../../src/backend/fused/register.js';
import { TASK, modReluJobTail, runPart } from '../../../src/backend/parallel/tasks.js';
import { composedModRelu, filteredModRelu } from '../../../src/nn/modrelu.js';
import { expectClose, normalArray } from '../numeric.js';
import { useBackend } from '../on-backends.js';
import { heapOf } from '../simd/memory.js';
import { withoutKernel } from './without-kernel.js';

registerFusedKernels();

const ATTRS = { minMagnitude: 1e-3, floor: 1e-20 };
const [B, F, H, D] = [3, 5, 2, 8];
const spectrum = [B, F, H, D];
const re = normalArray('re', B * F * H * D);
const im = normalArray('im', B * F * H * D);
const wRe = normalArray('wRe', B * F * H * D);
const wIm = normalArray('wIm', B * F * H * D);
// Every third row's scale tiny, so |z| falls under c = 1e-3 there; biases of both signs, so
// |z| + b crosses 0.
const scaleValues = (rows: number) => normalArray('scale', rows).map((v, i) => (i % 3 === 0 ? 1e-4 * v : v));
const biasValues = normalArray('bias', F * H, 0.8);

/** Values and gradients (re, im, scale, bias) of sum(w . modReLU) through `op`. */
function valuesAndGradients(op: typeof filteredModRelu, scaleBatch: number): Float32Array[] {
  return tf.tidy(() => {
    const inputs = [tf.tensor(re, spectrum), tf.tensor(im, spectrum), tf.tensor(scaleValues(scaleBatch * F * H), [scaleBatch, F, H, 1]), tf.tensor(biasValues, [1, F, H, 1])];
    const loss = (a: tf.Tensor, b: tf.Tensor, s: tf.Tensor, c: tf.Tensor) => {
      const [yRe, yIm] = op(a, b, s, c, ATTRS);
      return tf.add(tf.sum(tf.mul(yRe, tf.tensor(wRe, spectrum))), tf.sum(tf.mul(yIm, tf.tensor(wIm, spectrum))));
    };
    const [yRe, yIm] = op(inputs[0]!, inputs[1]!, inputs[2]!, inputs[3]!, ATTRS);
    const grads = tf.grads(loss)(inputs);
    return [yRe!, yIm!, ...grads].map((t) => Float32Array.from(t.dataSync()));
  });
}

describe('fused filter and modReLU', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    for (const scaleBatch of [B, 1]) {
      it(`agrees with the tfjs ops it replaces on ${backend}, scale [${scaleBatch}, F, H, 1]: values and gradients`, async () => {
        await useBackend(backend);
        const fused = valuesAndGradients(filteredModRelu, scaleBatch);
        const composed = withoutKernel(MODRELU_KERNEL, backend, () => valuesAndGradients(filteredModRelu, scaleBatch));
        const reference = valuesAndGradients((a, b, s, c, attrs) => composedModRelu(a, b, s, c, attrs), scaleBatch);
        ['yRe', 'yIm', 'dre', 'dim', 'dscale', 'dbias'].forEach((name, i) => {
          expectClose(fused[i]!, composed[i]!, 2e-6, name);
          expect(composed[i]).toEqual(reference[i]);
        });
        // The gradients are not all zero: the kinks are crossed, not avoided.
        expect(fused[5]!.some((v) => v !== 0)).toBe(true);
      });
    }
  }

  it('is one kernel forward and one backward', async () => {
    await useBackend('wasm');
    const info = await tf.profile(() => tf.tidy(() => {
      const x = tf.tensor(re, spectrum);
      return tf.grad((t: tf.Tensor) => tf.sum(filteredModRelu(t, tf.tensor(im, spectrum), tf.ones([B, F, H, 1]), tf.zeros([1, F, H, 1]), ATTRS)[0]!))(x);
    }));
    expect(info.kernelNames.filter((name) => name.startsWith('LraFilteredModRelu'))).toEqual([MODRELU_KERNEL, `${MODRELU_KERNEL}Grad`]);
    (info.result as tf.Tensor).dispose();
  });

  it('differentiates twice (a gradient of the gradient, through the same formula in tfjs ops)', async () => {
    await useBackend('cpu');
    const secondOrder = (): Float32Array => tf.tidy(() => {
      const s = tf.tensor(scaleValues(B * F * H), [B, F, H, 1]);
      const outer = tf.grad((scale: tf.Tensor) => {
        const inner = tf.grad((x: tf.Tensor) => {
          const [yRe, yIm] = filteredModRelu(x, tf.tensor(im, spectrum), scale, tf.tensor(biasValues, [1, F, H, 1]), ATTRS);
          return tf.add(tf.sum(tf.mul(yRe, tf.tensor(wRe, spectrum))), tf.sum(tf.mul(yIm, tf.tensor(wIm, spectrum))));
        })(tf.tensor(re, spectrum));
        return tf.sum(tf.mul(inner, tf.tensor(wIm, spectrum)));
      })(s);
      return Float32Array.from(outer.dataSync());
    });
    const fused = secondOrder();
    const composed = withoutKernel(MODRELU_KERNEL, 'cpu', secondOrder);
    expectClose(fused, composed, 2e-6, 'second derivative');
    expect(fused.some((v) => v !== 0)).toBe(true);
  });

  for (const width of [D, 6]) {
    it(`gives the bits of one pass when rows of ${width} are sliced over threads, forward and backward (${width % 4 === 0 ? 'SIMD' : 'JavaScript'})`, () => {
      const rows = B * F * H;
      const layout: ModReluLayout = { width, rowsPerExample: F * H, scalePerExample: false, ...ATTRS };
      const n = rows * width;
      const { memory, arrays } = heapOf(true, [n, n, F * H, F * H, n, n, n, n, n, n, 2 * rows]);
      const [xr, xi, scale, bias, yRe, yIm, gr, gi, dre, dim, sums] = arrays as Float32Array[];
      xr!.set(re.subarray(0, n));
      xi!.set(im.subarray(0, n));
      scale!.set(scaleValues(F * H));
      bias!.set(biasValues);
      gr!.set(wRe.subarray(0, n));
      gi!.set(wIm.subarray(0, n));
      const forward = Float64Array.from([TASK.modRelu, ...[xr, xi, scale, bias, yRe, yIm].map((a) => a!.byteOffset), rows, ...modReluJobTail(layout)]);
      const backward = Float64Array.from([TASK.modReluGrad, ...[gr, gi, xr, xi, scale, bias, dre, dim, sums].map((a) => a!.byteOffset), rows, ...modReluJobTail(layout)]);
      const run = (parts: number): Float32Array[] => {
        for (const a of [yRe, yIm, dre, dim, sums]) a!.fill(Number.NaN);
        for (let part = 0; part < parts; part++) runPart(memory.buffer, forward, part, parts, undefined, memory);
        for (let part = 0; part < parts; part++) runPart(memory.buffer, backward, part, parts, undefined, memory);
        const [dscale, dbias] = [new Float32Array(F * H), new Float32Array(F * H)];
        reduceModReluSums(sums!.subarray(0, rows), sums!.subarray(rows), rows, layout, dscale, dbias);
        return [yRe!.slice(), yIm!.slice(), dre!.slice(), dim!.slice(), dscale, dbias];
      };
      const one = run(1);
      expect(one.every((a) => a.every(Number.isFinite))).toBe(true);
      for (const parts of [2, 3, 7]) expect(run(parts)).toEqual(one);
    });
  }

  it('runs on wasm through the SIMD module, within float32 rounding of the JavaScript rows', async () => {
    const onBackend = async (backend: 'cpu' | 'wasm') => {
      await useBackend(backend);
      return valuesAndGradients(filteredModRelu, B);
    };
    const simd = await onBackend('wasm');
    const javascript = await onBackend('cpu');
    ['yRe', 'yIm', 'dre', 'dim', 'dscale', 'dbias'].forEach((name, i) => expectClose(simd[i]!, javascript[i]!, 2e-6, name));
    expect(simd.some((values, i) => values.some((v, j) => v !== javascript[i]![j]))).toBe(true);
  });

  it('names the shapes it cannot take', () => {
    expect(() => modReluKernel.outputShapes([[2, 3, 4, 5], [2, 3, 4, 5], [2, 3, 4, 2], [1, 3, 4, 1]], ATTRS)).toThrow(/scale \[B or 1, F, H, 1\].*\[2, 3, 4, 2\]/);
    expect(() => modReluKernel.outputShapes([[2, 3, 4, 5], [2, 3, 4, 5], [1, 3, 4, 1], [2, 3, 4, 1]], ATTRS)).toThrow(/bias \[1, F, H, 1\]/);
    expect(() => modReluGradKernel.outputShapes([[2, 3, 4, 5], [2, 3, 4, 4], [2, 3, 4, 5], [2, 3, 4, 5], [1, 3, 4, 1], [1, 3, 4, 1]], ATTRS)).toThrow(/shapes differ/);
  });
});
