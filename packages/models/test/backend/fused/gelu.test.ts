import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { registerFusedKernels } from '../../../src/backend/fused/register.js';
import { GELU_KERNEL, geluGradKernel, geluValues } from '../../../src/backend/fused/gelu.js';
import { gelu } from '../../../src/nn/activations.js';
import { expectClose, normalArray } from '../numeric.js';
import { useBackend, valuesOn } from '../on-backends.js';
import { erf } from '../../mixers/spectral-reference.js';
import { withoutKernel } from './without-kernel.js';

registerFusedKernels();

const phi = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
const cdf = (x: number): number => 0.5 * (1 + erf(x / Math.SQRT2));

describe('fused GELU', () => {
  const x = normalArray('gelu', 3 * 7 * 11, 1.5).map((v) => Math.max(-4, Math.min(4, v)));
  const w = normalArray('w', 3 * 7 * 11);
  const shape = [3, 7, 11];

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`matches x Phi(x) and its derivative in float64 on ${backend}`, async () => {
      const [y, grad] = await valuesOn(backend, () => [
        gelu(tf.tensor(x, shape)),
        tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gelu(t), tf.tensor(w, shape))))(tf.tensor(x, shape)),
      ]);
      // Absolute errors: A&S 7.1.26 is accurate to 1.5e-7 in erf.
      const expectedY = Array.from(x, (v) => v * cdf(v));
      const expectedGrad = Array.from(x, (v, i) => w[i]! * (cdf(v) + v * phi(v)));
      y!.forEach((v, i) => expect(Math.abs(v - expectedY[i]!)).toBeLessThan(1e-6));
      grad!.forEach((v, i) => expect(Math.abs(v - expectedGrad[i]!)).toBeLessThan(1e-6));
    });
  }

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`agrees with the tfjs composition it replaces on ${backend}, values and gradients, in one kernel`, async () => {
      await useBackend(backend);
      const compute = (): Float32Array[] => tf.tidy(() => [
        gelu(tf.tensor(x, shape)),
        tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gelu(t), tf.tensor(w, shape))))(tf.tensor(x, shape)),
      ].map((t) => Float32Array.from(t.dataSync())));
      const fused = compute();
      const composed = withoutKernel(GELU_KERNEL, backend, compute);
      expectClose(fused[0]!, composed[0]!, 1e-6, 'values');
      expectClose(fused[1]!, composed[1]!, 1e-6, 'gradients');
      const info = await tf.profile(() => gelu(tf.tensor(x, shape)));
      expect(info.kernelNames).toEqual([GELU_KERNEL]);
      (info.result as tf.Tensor).dispose();
    });
  }

  it('runs on wasm through the SIMD module, not the JavaScript loop', async () => {
    await useBackend('wasm');
    const [viaKernel] = await valuesOn('wasm', () => [gelu(tf.tensor(x, shape))]);
    const javascript = new Float32Array(x.length);
    geluValues(Float32Array.from(x), javascript);
    // float32 lanes against float64: the two differ somewhere, each within 1e-6 of the truth (above).
    expect(Array.from(viaKernel!).some((v, i) => v !== javascript[i])).toBe(true);
  });

  it('rejects a gradient of another shape', () => {
    expect(() => geluGradKernel.outputShapes([[2, 3], [3, 2]], {})).toThrow(/differ/);
  });
});
