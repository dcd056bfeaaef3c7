// Times one training step of a transformer classifier on wasm, with the project's kernels and
// with the backend's own ones they replace. Its own file, hence its own process and heap.
//   npx vitest bench --run packages/models/test/backend/
import * as tf from '@tensorflow/tfjs';
import { bench, describe } from 'vitest';
import { kernelSwitch } from './kernel-switch.js';
import { makeBatch, makeVariables, tinyTransformerLoss } from './tiny-transformer.js';
import type { TinyTransformerSize } from './tiny-transformer.js';

const useKernels = await kernelSwitch();

// The classifier `lra bench` times by default: one pre-LN block of softmax attention with 4 heads
// and a GELU feed-forward, B 8, N 1024, D 64, vocabulary 256, 10 classes, with the seeded dropout
// of training. The "backend" run still needs the project's UnsortedSegmentSum, without which
// wasm cannot take the gradient of the embedding at all.
const BLOCK: TinyTransformerSize = {
  batch: 8, length: 1024, dModel: 64, heads: 4, mlp: 128, vocab: 256, classes: 10,
};

describe('training step, B 8 N 1024 D 64, 4 heads (forward, backward, Adam)', () => {
  for (const which of ['project', 'backend'] as const) {
    const params = makeVariables(BLOCK);
    const batch = makeBatch(BLOCK);
    const optimizer = tf.train.adam(1e-3);
    let seed = 1;
    bench(`${which} kernels`, () => {
      useKernels(which);
      const cost = optimizer.minimize(() => tinyTransformerLoss(params, batch, BLOCK, seed++), true);
      cost?.dataSync();
      cost?.dispose();
    }, { iterations: 5, time: 0, warmupIterations: 1, warmupTime: 0, throws: true });
  }
});
