// Activation recomputation (recompute: 'block'): each block run again in the backward pass, with
// its dropout masks replayed, gives the loss and every gradient of plain autodiff, for every kind
// of mixer; activation memory stops growing with the activations of every layer; nothing leaks.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { createClassifier } from '../../src/encoder/classifier.js';
import { validateClassifierConfig, type ClassifierConfig } from '../../src/encoder/config.js';
import type { MixerName } from '../../src/mixers/registry.js';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { type LossAndGrads, lossAndGrads, paddedTokens, relativeDiff, stepPeak, tinyConfig } from './fixtures.js';

const LABELS = [0, 2, 1];

function lossAndGradsOf(config: ClassifierConfig): LossAndGrads {
  return lossAndGrads(config, { seed: 'recompute', lengths: [[16, 9, 4], [5, 16, 11]], labels: LABELS, ctx: () => trainingContext(4, 2) });
}

// One mixer of each shape the encoder handles: attention (pre-LN), post-LN FNet, a mixer owning
// its residual (FFTNet), one that shortens the sequence (DCT), state space, long convolution,
// gating, an approximation that draws random features.
const MIXERS: MixerName[] = ['attention', 'fnet', 'fftnet', 'fourier-transformer', 's4d', 'hyena', 'gmlp', 'performer'];

describe("recompute: 'block'", () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const mixer of MIXERS) {
    it(`${mixer}: equals plain autodiff in the loss and every gradient, dropout on`, () => {
      const base = tinyConfig({ mixer, seqLen: 16, dModel: 8, heads: 2, layers: 2, dropout: 0.2, attentionDropout: 0.2 });
      const plain = lossAndGradsOf(base);
      const before = tf.memory().numTensors;
      const recomputed = lossAndGradsOf({ ...base, recompute: 'block' });
      expect(tf.memory().numTensors, 'tensors leaked').toBe(before);
      expect(recomputed.loss).toBeCloseTo(plain.loss, 6);
      expect([...recomputed.grads.keys()].sort()).toEqual([...plain.grads.keys()].sort());
      let nonZero = 0;
      for (const [name, theirs] of plain.grads) {
        if (theirs.some((v) => v !== 0)) nonZero++;
        expect(relativeDiff(recomputed.grads.get(name)!, theirs), name).toBeLessThan(1e-5);
      }
      expect(nonZero).toBeGreaterThan(plain.grads.size / 2);
    });
  }

  it('works for pair tasks and leaves inference untouched', () => {
    const base = tinyConfig({ pair: true, seqLen: 16, dropout: 0.1 });
    const plain = lossAndGradsOf(base);
    const recomputed = lossAndGradsOf({ ...base, recompute: 'block' });
    for (const [name, theirs] of plain.grads) expect(relativeDiff(recomputed.grads.get(name)!, theirs), name).toBeLessThan(1e-5);
    const a = createClassifier(tinyConfig(), 2);
    const b = createClassifier(tinyConfig({ recompute: 'block' }), 2);
    const tokens = paddedTokens('infer', [10, 3], 10);
    expect(Array.from(b.logits({ tokens }, inferenceContext()).dataSync())).toEqual(Array.from(a.logits({ tokens }, inferenceContext()).dataSync()));
    tf.dispose(tokens);
    a.dispose();
    b.dispose();
  });

  it('is refused with reversible blocks, and for an unknown value', () => {
    expect(() => validateClassifierConfig(tinyConfig({ reversible: true, recompute: 'block' }))).toThrow(/recompute 'block' has nothing to add to reversible blocks/);
    expect(() => validateClassifierConfig(tinyConfig({ recompute: 'layers' as 'block' }))).toThrow(/recompute must be 'none' or 'block'/);
  });
});

describe("recompute: 'block' memory (wasm, exact heap accounting)", () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  const N = 256;
  const stepPeakOf = (layers: number, recompute: boolean): number =>
    stepPeak(tinyConfig({ mixer: 'attention', layers, seqLen: N, dModel: 16, heads: 2, mlpDim: 32, pool: 'mean', ...(recompute ? { recompute: 'block' as const } : {}) }), 'recompute-memory');

  it('6 recomputed layers peak far below 6 ordinary ones', () => {
    const ordinary1 = stepPeakOf(1, false);
    const ordinary6 = stepPeakOf(6, false);
    const recomputed6 = stepPeakOf(6, true);
    expect(ordinary6).toBeGreaterThan(3 * ordinary1);
    // Each layer keeps only its input [B, N, D]; one block's activations are alive at a time.
    expect(recomputed6).toBeLessThan(1.5 * ordinary1);
    expect(recomputed6).toBeLessThan(0.4 * ordinary6);
  });
});
