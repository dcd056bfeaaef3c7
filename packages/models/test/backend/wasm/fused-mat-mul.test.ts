import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fusedMatMulConfig } from '../../../src/backend/wasm/fused-mat-mul.js';
import { expectClose, normalArray } from '../numeric.js';
import { useBackend, valuesOn } from '../on-backends.js';

function operand(seed: string, shape: number[]): tf.Tensor {
  return tf.tensor(normalArray(seed, shape.reduce((a, b) => a * b, 1)), shape);
}

type Activation = 'linear' | 'relu' | 'relu6' | 'elu' | 'sigmoid' | 'leakyrelu' | 'prelu';

function fused(activation: Activation, transposeA: boolean, transposeB: boolean): tf.Tensor {
  return tf.fused.matMul({
    a: operand('a', transposeA ? [2, 4, 5] : [2, 5, 4]) as tf.Tensor3D,
    b: operand('b', transposeB ? [2, 3, 4] : [2, 4, 3]) as tf.Tensor3D,
    transposeA,
    transposeB,
    bias: operand('bias', [3]),
    activation,
    // Scaled up so that relu6 clips somewhere.
    ...(activation === 'relu6' ? { bias: operand('bias', [3]).mul(8) } : {}),
    ...(activation === 'prelu' ? { preluActivationWeights: operand('alpha', [3]) } : {}),
    ...(activation === 'leakyrelu' ? { leakyreluAlpha: 0.3 } : {}),
  });
}

describe('_FusedMatMul on wasm', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('is the project kernel once registered', () => {
    expect(tf.getKernel(tf._FusedMatMul, 'wasm').kernelFunc).toBe(fusedMatMulConfig.kernelFunc);
  });

  for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const) {
    it(`matches cpu with a bias and ${activation} activation, batched, all transposes`, async () => {
      for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const [expected] = await valuesOn('cpu', () => fused(activation, transposeA, transposeB));
        const [actual] = await valuesOn('wasm', () => fused(activation, transposeA, transposeB));
        expectClose(actual, expected, 1e-6, `${activation} tA=${transposeA} tB=${transposeB}`);
      }
    });
  }

  it('broadcasts a bias of full output shape', async () => {
    const product = () => tf.fused.matMul({
      a: operand('a', [2, 5, 4]) as tf.Tensor3D, b: operand('b', [2, 4, 3]) as tf.Tensor3D,
      bias: operand('bias', [5, 3]),
    });
    const [expected] = await valuesOn('cpu', product);
    const [actual] = await valuesOn('wasm', product);
    expectClose(actual, expected, 1e-6);
  });

  it('gives the same gradients as cpu', async () => {
    const gradients = () => tf.grads((a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) => tf.fused.matMul({
      a: a as tf.Tensor3D, b: b as tf.Tensor3D, bias, activation: 'relu', transposeB: true,
    }).mul(operand('w', [2, 5, 3])).sum())([operand('a', [2, 5, 4]), operand('b', [2, 3, 4]), operand('bias', [3])]);
    const expected = await valuesOn('cpu', gradients);
    const actual = await valuesOn('wasm', gradients);
    expected.forEach((values, i) => expectClose(actual[i], values, 1e-5, `gradient ${i}`));
  });

  it('leaves no tensor behind', async () => {
    await useBackend('wasm');
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    const buffers = tf.backend().numDataIds();
    tf.tidy(() => {
      fused('prelu', true, true);
    });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.memory().numBytes).toBe(bytes);
    // Intermediate buffers a kernel made and forgot would show here only.
    expect(tf.backend().numDataIds()).toBe(buffers);
  });
});
