// What reversible blocks are for: the peak memory of a training step stops growing with depth.
// Measured on wasm, where startPeakMeter follows the heap allocator (exact accounting, not timing).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import type { ClassifierConfig } from '../../src/encoder/config.js';
import type { MixerName } from '../../src/mixers/registry.js';
import { stepPeak, tinyConfig } from './fixtures.js';

const N = 256;

function config(mixer: MixerName, layers: number, reversible: boolean): ClassifierConfig {
  return tinyConfig({ mixer, layers, reversible, seqLen: N, dModel: 16, heads: 2, mlpDim: 32, pool: 'mean', dropout: 0.1, attentionDropout: 0.1 });
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
      const ordinary1 = stepPeak(config(mixer, 1, false), 'reversible-memory');
      const ordinary6 = stepPeak(config(mixer, 6, false), 'reversible-memory');
      const reversible1 = stepPeak(config(mixer, 1, true), 'reversible-memory');
      const reversible6 = stepPeak(config(mixer, 6, true), 'reversible-memory');
      // Ordinary blocks keep every layer's activations for the backward pass.
      expect(ordinary6).toBeGreaterThan(3 * ordinary1);
      expect(reversible6).toBeLessThan(1.3 * reversible1);
      expect(reversible6).toBeLessThan(1.3 * ordinary1);
      expect(reversible6).toBeLessThan(0.35 * ordinary6);
    });
  }
});
