import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, normalArray } from '../numeric.js';
import { useBackend, valuesOn } from '../on-backends.js';

function operand(seed: string, shape: number[]): tf.Tensor {
  return tf.tensor(normalArray(seed, shape.reduce((a, b) => a * b, 1)), shape);
}

const CASES = [
  // [filter shape (multiplier last), strides, pad]
  [[3, 1, 6, 1], [1, 1], 'valid'], // the short causal conv of Hyena, as a 1-D depthwise conv
  [[3, 3, 6, 1], [1, 1], 'same'],
  [[3, 2, 6, 2], [2, 1], 'same'],
  [[2, 3, 6, 3], [2, 2], 'valid'],
] as const;

describe('DepthwiseConv2dNativeBackpropFilter and -Input on wasm', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  for (const [filterShape, strides, pad] of CASES) {
    it(`give depthwiseConv2d the same gradients as cpu (filter ${filterShape}, strides ${strides}, ${pad})`, async () => {
      const gradients = () => tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, [...strides], pad)
        .mul(1.25).sum())([operand('x', [2, 9, 7, 6]), operand('filter', [...filterShape])]);
      const expected = await valuesOn('cpu', gradients);
      const actual = await valuesOn('wasm', gradients);
      expectClose(actual[0], expected[0], 1e-5, 'dx');
      expectClose(actual[1], expected[1], 1e-5, 'dw');
    });
  }

  // Gradients never ask for dilations (tfjs-core refuses them there), but the kernels take them:
  // both are checked as adjoints of the backend's own forward convolution, which has dilations.
  it('are the adjoints of the forward convolution, dilations included', async () => {
    const [values] = await valuesOn('wasm', () => {
      const x = operand('x', [2, 9, 8, 3]);
      const w = operand('filter', [2, 3, 3, 2]);
      const attrs = { strides: [1, 1], dilations: [2, 2], pad: 'same', dimRoundingMode: undefined };
      const y = tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', 2);
      const dy = operand('dy', y.shape);
      const dx = tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: w },
        { ...attrs, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const dw = tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy },
        { ...attrs, filterShape: w.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
      return tf.stack([y.mul(dy).sum(), dx.mul(x).sum(), dw.mul(w).sum()]);
    });
    expect(values[1]).toBeCloseTo(values[0], 3);
    expect(values[2]).toBeCloseTo(values[0], 3);
  });
});
