// What reversible blocks are for: the peak memory of a training step stops growing with depth.
// Measured on wasm, where startPeakMeter follows the heap allocator (exact accounting, not timing).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { startPeakMeter } from '../../src/backend/peak-memory.js';
import { createClassifier } from '../../src/encoder/classifier.js';
import type { ClassifierConfig } from '../../src/encoder/config.js';
import type { MixerName } from '../../src/mixers/registry.js';
import { trainingContext } from '../../src/nn/context.js';
import { paddedTokens, tinyConfig } from './fixtures.js';

const N = 256;

function config(mixer: MixerName, layers: number, reversible: boolean): ClassifierConfig {
  return tinyConfig({ mixer, layers, reversible, seqLen: N, dModel: 16, heads: 2, mlpDim: 32, pool: 'mean', dropout: 0.1, attentionDropout: 0.1 });
}

/** Peak bytes of the second training step (the first fills caches). */
function stepPeak(c: ClassifierConfig): number {
  const model = createClassifier(c, 3);
  const tokens = paddedTokens('reversible-memory', [N, N - 40], N);
  const labels = tf.oneHot(tf.tensor1d([0, 1], 'int32'), 3);
  const step = (i: number): void => {
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.logits({ tokens }, trainingContext(1, i))));
    tf.dispose([value, grads]);
  };
  step(0);
  const meter = startPeakMeter();
  step(1);
  const peak = meter.stop();
  tf.dispose([tokens, labels]);
  model.dispose();
  return peak;
}

describe('reversible encoder memory (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const mixer of ['attention', 'gfnet'] as const) {
    it(`${mixer}: 6 reversible layers peak near 1 layer, far below 6 ordinary ones`, () => {
      const ordinary1 = stepPeak(config(mixer, 1, false));
      const ordinary6 = stepPeak(config(mixer, 6, false));
      const reversible1 = stepPeak(config(mixer, 1, true));
      const reversible6 = stepPeak(config(mixer, 6, true));
      // Ordinary blocks keep every layer's activations for the backward pass.
      expect(ordinary6).toBeGreaterThan(3 * ordinary1);
      expect(reversible6).toBeLessThan(1.3 * reversible1);
      expect(reversible6).toBeLessThan(1.3 * ordinary1);
      expect(reversible6).toBeLessThan(0.35 * ordinary6);
    });
  }
});
