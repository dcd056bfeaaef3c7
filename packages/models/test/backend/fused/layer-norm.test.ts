import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { registerFusedKernels } from '../../../src/backend/fused/register.js';
import { LAYER_NORM_KERNEL, layerNormKernel } from '../../../src/backend/fused/layer-norm.js';
import { layerNorm } from '../../../src/nn/layer-norm.js';
import { ParamStore } from '../../../src/nn/params.js';
import { expectClose, normalArray } from '../numeric.js';
import { useBackend } from '../on-backends.js';
import { withoutKernel } from './without-kernel.js';

registerFusedKernels();

const SHAPE = [3, 5, 24];
const D = 24;

/** Output and gradients (x, scale, bias) of sum(w * LN(x)) for fixed x, w, scale and bias. */
function outputsAndGradients(eps: number): Float32Array[] {
  return tf.tidy(() => {
    const store = new ParamStore(3);
    const norm = layerNorm(store.scope('ln'), 'norm', D, eps);
    norm.scale.assign(tf.tensor1d(normalArray('scale', D)));
    norm.bias.assign(tf.tensor1d(normalArray('bias', D)));
    const x = tf.tensor(normalArray('x', 3 * 5 * 24, 2).map((v, i) => v + (i % 7)), SHAPE);
    const w = tf.tensor(normalArray('w', 3 * 5 * 24), SHAPE);
    const y = norm.apply(x);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(norm.apply(x), w)) as tf.Scalar, [norm.scale, norm.bias]);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(norm.apply(t), w)))(x);
    const values = [y, dx, grads[norm.scale.name]!, grads[norm.bias.name]!].map((t) => Float32Array.from(t.dataSync()));
    store.dispose();
    return values;
  });
}

/** LN forward in float64. */
function reference(x: Float32Array, scale: Float32Array, bias: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += D) {
    let mean = 0;
    for (let j = 0; j < D; j++) mean += x[base + j]! / D;
    let variance = 0;
    for (let j = 0; j < D; j++) variance += (x[base + j]! - mean) ** 2 / D;
    for (let j = 0; j < D; j++) y[base + j] = ((x[base + j]! - mean) / Math.sqrt(variance + eps)) * scale[j]! + bias[j]!;
  }
  return y;
}

describe('fused layer norm', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`matches the tfjs composition on ${backend}: output and the gradients of x, scale and bias`, async () => {
      await useBackend(backend);
      for (const eps of [1e-6, 1e-12]) {
        const before = tf.memory().numTensors;
        const fused = outputsAndGradients(eps);
        const composed = withoutKernel(LAYER_NORM_KERNEL, backend, () => outputsAndGradients(eps));
        ['y', 'dx', 'dscale', 'dbias'].forEach((name, i) => expectClose(fused[i]!, composed[i]!, 2e-5, `${backend} ${name}`));
        expect(tf.memory().numTensors).toBe(before);
      }
    });
  }

  it('normalises as the float64 formula does, and is one kernel', async () => {
    await useBackend('wasm');
    const x = normalArray('x', 3 * 5 * 24, 2);
    const scale = normalArray('scale', D);
    const bias = normalArray('bias', D);
    const [y] = tf.engine().runKernel(LAYER_NORM_KERNEL, {
      x: tf.tensor(x, SHAPE), scale: tf.tensor1d(scale), bias: tf.tensor1d(bias),
    }, { eps: 1e-5 }) as tf.Tensor[];
    expectClose(y!.dataSync(), reference(x, scale, bias, 1e-5), 1e-6, 'forward');
    const store = new ParamStore(1);
    const norm = layerNorm(store.scope('ln'), 'n', D);
    const info = await tf.profile(() => norm.apply(tf.tensor(x, SHAPE)));
    expect(info.kernelNames).toEqual([LAYER_NORM_KERNEL]);
    store.dispose();
  });

  it('rejects parameters that do not match the last axis', () => {
    expect(() => layerNormKernel.outputShapes([[2, 8], [7], [8]], {})).toThrow(/must have shape \[8\]/);
  });
});
