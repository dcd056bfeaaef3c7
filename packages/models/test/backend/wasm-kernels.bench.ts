// Times the project's wasm matrix-product kernels against the backend's own.
//   npx vitest bench --run packages/models/test/backend/
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig } from '@tensorflow/tfjs';
import { bench, describe } from 'vitest';
import { batchMatMulConfig } from '../../src/backend/wasm/batch-mat-mul.js';
import { fusedMatMulConfig } from '../../src/backend/wasm/fused-mat-mul.js';
import { useBackend } from './on-backends.js';
import { makeBatch, makeVariables, tinyTransformerLoss } from './tiny-transformer.js';
import type { TinyTransformerSize } from './tiny-transformer.js';

// Captured before anything installs the project's kernels.
const BACKEND_OWN: KernelConfig[] = [
  tf.getKernel(tf.BatchMatMul, 'wasm'), tf.getKernel(tf._FusedMatMul, 'wasm'),
];
const PROJECT: KernelConfig[] = [batchMatMulConfig, fusedMatMulConfig];

function useProducts(which: 'backend' | 'project'): void {
  for (const config of which === 'backend' ? BACKEND_OWN : PROJECT) {
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
}

// The backend's own kernels bind to its C++ functions when the backend initialises, so it starts
// before the project's kernels replace them. Top-level: bench mode does not await async hooks.
await tf.setBackend('wasm');
await useBackend('wasm');

const SLOW = { iterations: 2, time: 0, warmupIterations: 1, warmupTime: 0, throws: true };
const FAST = { iterations: 10, time: 0, warmupIterations: 2, warmupTime: 0, throws: true };

const PRODUCTS: Array<[string, number[], number[], boolean]> = [
  ['[8,1024,256] @ [8,256,1024]', [8, 1024, 256], [8, 256, 1024], false],
  ['[32,1024,16] x [32,1024,16]^T (Q K^T)', [32, 1024, 16], [32, 1024, 16], true],
  ['[32,1024,1024] @ [32,1024,16] (P V)', [32, 1024, 1024], [32, 1024, 16], false],
];

for (const [label, aShape, bShape, transposeB] of PRODUCTS) {
  describe(label, () => {
    const a = tf.randomNormal(aShape, 0, 1, 'float32', 1);
    const b = tf.randomNormal(bShape, 0, 1, 'float32', 2);
    for (const which of ['backend', 'project'] as const) {
      bench(`${which} kernel`, () => {
        useProducts(which);
        tf.matMul(a, b, false, transposeB).dispose();
      }, which === 'backend' ? SLOW : FAST);
    }
  });
}

// The classifier `lra bench` times by default: one pre-LN block of softmax attention with 4 heads
// and a GELU feed-forward, B 8, N 1024, D 64; here with the seeded dropout of training.
const BLOCK: TinyTransformerSize = {
  batch: 8, length: 1024, dModel: 64, heads: 4, mlp: 128, vocab: 256, classes: 10,
};

describe('training step, B 8 N 1024 D 64, 4 heads (forward, backward, Adam)', () => {
  const params = makeVariables(BLOCK);
  const batch = makeBatch(BLOCK);
  const optimizer = tf.train.adam(1e-3);
  let seed = 1;
  const step = () => {
    const cost = optimizer.minimize(() => tinyTransformerLoss(params, batch, BLOCK, seed++), true);
    cost?.dataSync();
    cost?.dispose();
  };
  for (const which of ['backend', 'project'] as const) {
    bench(`${which} matrix products`, () => {
      useProducts(which);
      step();
    }, which === 'backend' ? SLOW : { ...SLOW, iterations: 5 });
  }
});
