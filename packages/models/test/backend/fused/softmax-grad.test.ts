import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { registerFusedKernels } from '../../../src/backend/fused/register.js';
import { SOFTMAX_GRAD_KERNEL, softmaxGradKernel } from '../../../src/backend/fused/softmax-grad.js';
import { expectClose, normalArray } from '../numeric.js';
import { useBackend, valuesOn } from '../on-backends.js';

registerFusedKernels();

/** d/dx sum(w * softmax(x)) over the last axis, in float64: y (w - sum(w y)). */
function referenceGradient(x: Float32Array, w: Float32Array, n: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += n) {
    let max = -Infinity;
    for (let j = 0; j < n; j++) max = Math.max(max, x[base + j]!);
    let total = 0;
    for (let j = 0; j < n; j++) total += Math.exp(x[base + j]! - max);
    let dot = 0;
    for (let j = 0; j < n; j++) dot += w[base + j]! * Math.exp(x[base + j]! - max) / total;
    for (let j = 0; j < n; j++) out[base + j] = (Math.exp(x[base + j]! - max) / total) * (w[base + j]! - dot);
  }
  return out;
}

const SHAPES = [[7], [3, 5, 33], [2, 1], [4, 2, 3, 17], [1, 1, 1]];

describe('softmax gradient', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`matches the float64 formula on ${backend}, odd shapes included`, async () => {
      for (const shape of SHAPES) {
        const size = shape.reduce((a, b) => a * b, 1);
        const x = normalArray(`x${shape}`, size, 3);
        const w = normalArray(`w${shape}`, size);
        const [grad] = await valuesOn(backend, () =>
          tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.softmax(t), tf.tensor(w, shape))))(tf.tensor(x, shape)),
        );
        expectClose(grad!, referenceGradient(x, w, shape[shape.length - 1]!), 1e-5, `${backend} [${shape}]`);
      }
    });
  }

  it('goes through the fused kernel where the backend has one, and through tfjs ops elsewhere', async () => {
    await useBackend('cpu');
    const shape = [6, 40];
    const x = tf.tensor(normalArray('x', 240, 2), shape);
    const w = tf.tensor(normalArray('w', 240), shape);
    const gradient = (): Float32Array => tf.tidy(() =>
      Float32Array.from(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.softmax(t), w)))(x).dataSync()));
    const fused = gradient();
    const kernel = tf.getKernel(SOFTMAX_GRAD_KERNEL, 'cpu');
    tf.unregisterKernel(SOFTMAX_GRAD_KERNEL, 'cpu');
    try {
      const composed = gradient();
      expectClose(composed, fused, 1e-6, 'composed vs fused');
    } finally {
      tf.registerKernel(kernel);
    }
    const info = await tf.profile(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.softmax(t), w)))(x));
    expect(info.kernelNames).toContain(SOFTMAX_GRAD_KERNEL);
    expect(info.kernelNames).not.toContain('Sub');
    tf.dispose([x, w, info.result as tf.Tensor]);
  });

  it('rejects operands of different shapes', async () => {
    await useBackend('wasm');
    expect(() => softmaxGradKernel.outputShapes([[2, 3], [3, 2]], {})).toThrow(/must have one shape/);
  });
});
