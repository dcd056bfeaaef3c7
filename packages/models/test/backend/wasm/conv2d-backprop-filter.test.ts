import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, normalArray } from '../numeric.js';
import { useBackend, valuesOn } from '../on-backends.js';

function operand(seed: string, shape: number[]): tf.Tensor {
  return tf.tensor(normalArray(seed, shape.reduce((a, b) => a * b, 1)), shape);
}

describe('Conv2DBackpropFilter on wasm', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('gives conv1d the same input and filter gradients as cpu', async () => {
    for (const [stride, pad] of [[1, 'same'], [2, 'valid'], [1, 'causal']] as const) {
      const gradients = () => tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, stride, pad === 'causal' ? 'valid' : pad)
        .mul(operand('w', [1])).sum())([
        pad === 'causal' ? tf.pad(operand('x', [3, 20, 5]), [[0, 0], [2, 0], [0, 0]]) : operand('x', [3, 20, 5]),
        operand('filter', [3, 5, 4]),
      ]);
      const expected = await valuesOn('cpu', gradients);
      const actual = await valuesOn('wasm', gradients);
      expectClose(actual[0], expected[0], 1e-5, `dx stride ${stride} ${pad}`);
      expectClose(actual[1], expected[1], 1e-5, `dw stride ${stride} ${pad}`);
    }
  });

  it('matches cpu on 2-D convolutions with strides and padding', async () => {
    for (const [strides, pad] of [[[1, 1], 'same'], [[2, 3], 'valid'], [[2, 1], 'same']] as const) {
      const filterGradient = () => tf.grad((w: tf.Tensor) => tf.conv2d(operand('x', [2, 9, 8, 3]) as tf.Tensor4D, w as tf.Tensor4D, [...strides], pad)
        .mul(1.5).sum())(operand('filter', [3, 2, 3, 4]));
      const [expected] = await valuesOn('cpu', filterGradient);
      const [actual] = await valuesOn('wasm', filterGradient);
      expectClose(actual, expected, 1e-5, `strides ${strides} ${pad}`);
    }
  });

  it('is the adjoint of the forward convolution in the filter: <dy, conv(x, w)> = <dW, w>', async () => {
    const [value] = await valuesOn('wasm', () => {
      const x = operand('x', [2, 7, 6, 3]);
      const w = operand('filter', [3, 3, 3, 2]);
      const dy = operand('dy', [2, 4, 3, 2]);
      const dw = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
        strides: [2, 2], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [3, 3, 3, 2],
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
      return tf.stack([tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same').mul(dy).sum(), dw.mul(w).sum()]);
    });
    expect(value[1]).toBeCloseTo(value[0], 4);
  });

  it('rejects NCHW data like the backend\'s forward Conv2D', async () => {
    await useBackend('wasm');
    expect(() => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: tf.ones([1, 2, 5, 5]), dy: tf.ones([1, 2, 5, 5]) }, {
      strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [1, 1, 2, 2],
    } as unknown as tf.NamedAttrMap)).toThrow(/NHWC/);
  });
});
