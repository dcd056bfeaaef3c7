// Times the project's wasm kernels against the backend's own ones they replace.
//   npx vitest bench --run packages/models/test/backend/
// (Top-level await throughout: bench mode does not wait for asynchronous hooks.)
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { bench, describe } from 'vitest';
import { kernelSwitch } from './kernel-switch.js';

const useKernels = await kernelSwitch();

const SLOW = { iterations: 3, time: 0, warmupIterations: 1, warmupTime: 0, throws: true };
const FAST = { iterations: 10, time: 0, warmupIterations: 2, warmupTime: 0, throws: true };

const PRODUCTS: Array<[string, number[], number[], boolean, boolean]> = [
  ['[8,1024,256] @ [8,256,1024]', [8, 1024, 256], [8, 256, 1024], false, false],
  ['[32,1024,16] x [32,1024,16]^T (Q K^T)', [32, 1024, 16], [32, 1024, 16], false, true],
  ['[32,1024,1024] @ [32,1024,16] (P V)', [32, 1024, 1024], [32, 1024, 16], false, false],
  ['[32,1024,1024]^T @ [32,1024,16] (P^T dO)', [32, 1024, 1024], [32, 1024, 16], true, false],
];

for (const [label, aShape, bShape, transposeA, transposeB] of PRODUCTS) {
  describe(label, () => {
    const a = tf.randomNormal(aShape, 0, 1, 'float32', 1);
    const b = tf.randomNormal(bShape, 0, 1, 'float32', 2);
    for (const which of ['backend', 'project'] as const) {
      bench(`${which} kernels`, () => {
        useKernels(which);
        tf.matMul(a, b, transposeA, transposeB).dispose();
      }, which === 'backend' ? SLOW : FAST);
    }
  });
}

describe('fused [8,1024,256] @ [8,256,1024] + bias, relu (tf.fused.matMul)', () => {
  const a = tf.randomNormal([8, 1024, 256], 0, 1, 'float32', 1) as tf.Tensor3D;
  const b = tf.randomNormal([8, 256, 1024], 0, 1, 'float32', 2) as tf.Tensor3D;
  const bias = tf.randomNormal([1024], 0, 1, 'float32', 3);
  for (const which of ['backend', 'project'] as const) {
    bench(`${which} kernels`, () => {
      useKernels(which);
      tf.fused.matMul({ a, b, bias, activation: 'relu' }).dispose();
    }, which === 'backend' ? SLOW : FAST);
  }
});

describe('split attention heads: transpose [8,1024,3,4,16] to [3,8,4,1024,16]', () => {
  const x = tf.randomNormal([8, 1024, 3, 4, 16], 0, 1, 'float32', 1);
  for (const which of ['backend', 'project'] as const) {
    bench(`${which} kernels`, () => {
      useKernels(which);
      tf.transpose(x, [2, 0, 3, 1, 4]).dispose();
    }, FAST);
  }
});
