// The encoder builds each of LRA's Table 1 models ported from LRA's code, and a training step
// moves every parameter that the forward pass uses.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { createClassifier } from '../../src/encoder/classifier.js';
import type { ClassifierConfig } from '../../src/encoder/config.js';
import { trainingContext } from '../../src/nn/context.js';
import { paddedTokens, tinyConfig } from './fixtures.js';

// Lengths the encoder hands the mixer: 11 tokens + CLS = 12, a multiple of Sinkhorn's block 4.
const variants: Array<{ name: string; overrides: Partial<ClassifierConfig>; zeroGradients?: string[] }> = [
  { name: 'sparse-transformer', overrides: { mixer: 'sparse-transformer', mixerOptions: { blockSize: 4, c: 1 } } },
  { name: 'sparse-transformer, mean pool', overrides: { mixer: 'sparse-transformer', mixerOptions: { blockSize: 4, c: 1 }, pool: 'mean' } },
  {
    name: 'longformer, no global positions (LRA)',
    overrides: { mixer: 'longformer', mixerOptions: { window: 4 } },
    // Without global positions the global path's output is never selected: zero gradients, as in LRA.
    zeroGradients: ['Global/kernel'],
  },
  // Mean pooling: with CLS pooling and CLS global, the last layer's window path would not reach the loss.
  { name: 'longformer, first position global', overrides: { mixer: 'longformer', mixerOptions: { window: 4, globalTokens: 1 }, pool: 'mean' } },
  { name: 'sinkhorn', overrides: { mixer: 'sinkhorn', mixerOptions: { blockSize: 4 } } },
  { name: 'sinkhorn, length off its blocks', overrides: { mixer: 'sinkhorn', mixerOptions: { blockSize: 5 } } },
  { name: 'synthesizer', overrides: { mixer: 'synthesizer' } },
  { name: 'synthesizer, dense+factorized_random', overrides: { mixer: 'synthesizer', mixerOptions: { mode: 'dense+factorized_random', k: 3 } } },
];

describe("classifiers with LRA's Table 1 mixers (wasm)", () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  for (const { name, overrides, zeroGradients = [] } of variants) {
    it(`${name}: takes a training step that lowers the loss, and leaves no tensors behind`, () => {
      const before = tf.memory().numTensors;
      const config = tinyConfig({ seqLen: 11, dropout: 0, attentionDropout: 0.1, ...overrides });
      const model = createClassifier(config, 3);
      const tokens = paddedTokens(`lra-table-${name}`, [11, 7, 4], 11);
      const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2], 'int32'), config.numClasses));
      const loss = (step: number): tf.Scalar => tf.losses.softmaxCrossEntropy(labels, model.logits({ tokens }, trainingContext(4, step)));
      const { value, grads } = tf.variableGrads(() => loss(0));
      const first = value.dataSync()[0]!;
      expect(Number.isFinite(first)).toBe(true);
      for (const { name: param, variable } of model.params.variables()) {
        const grad = grads[variable.name];
        expect(grad, param).toBeDefined();
        if (zeroGradients.some((suffix) => param.includes('/mixer/') && param.endsWith(suffix))) {
          expect(tf.tidy(() => tf.max(tf.abs(grad!)).dataSync()[0]!), param).toBe(0);
          continue;
        }
        // Every mixer parameter the forward pass uses gets a non-zero gradient; the Sinkhorn sort
        // net's is zero up to rounding, as in LRA's code (its softmax rows sum to 1).
        if (param.includes('/mixer/') && !param.endsWith('/sort/kernel')) {
          expect(tf.tidy(() => tf.max(tf.abs(grad!)).dataSync()[0]!), param).toBeGreaterThan(0);
        }
      }
      tf.dispose([value, grads]);
      const optimizer = tf.train.adam(1e-2);
      const variables = model.params.variables().map((p) => p.variable);
      for (let step = 0; step < 5; step++) tf.dispose(optimizer.minimize(() => loss(step + 1), true, variables));
      const after = tf.tidy(() => loss(6).dataSync()[0]!);
      expect(after).toBeLessThan(first);
      optimizer.dispose();
      tf.dispose([tokens, labels]);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
