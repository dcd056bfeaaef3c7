// The reversible encoder's recomputing backward pass against the same two-stream function
// differentiated by plain autodiff (every activation kept): equal loss, equal gradient for every
// parameter, dropout included (its masks replayed from recorded seeds); no leaked tensors.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier, type ClassifierBuildOptions } from '../../src/encoder/classifier.js';
import type { ClassifierConfig } from '../../src/encoder/config.js';
import { inferenceContext, trainingContext, type ForwardContext } from '../../src/nn/context.js';
import { type LossAndGrads, lossAndGrads, paddedTokens, relativeDiff, tinyConfig } from './fixtures.js';

const LABELS = [0, 2, 1];

function lossAndGradsOf(config: ClassifierConfig, build: ClassifierBuildOptions, ctx: () => ForwardContext): LossAndGrads {
  return lossAndGrads(config, { seed: 'reversible', lengths: [[10, 6, 3], [4, 10, 7]], labels: LABELS, ctx, build });
}

function expectSameGradients(config: ClassifierConfig, ctx: () => ForwardContext): void {
  const recomputed = lossAndGradsOf(config, {}, ctx);
  const reference = lossAndGradsOf(config, { reversibleBackward: 'autodiff' }, ctx);
  expect(recomputed.loss).toBeCloseTo(reference.loss, 5);
  // Every parameter of the model receives a gradient, through the recomputation as through autodiff.
  const model = createClassifier(config, 5);
  const names = model.params.variables().map((p) => p.name);
  model.dispose();
  expect([...reference.grads.keys()].sort()).toEqual([...names].sort());
  expect([...recomputed.grads.keys()].sort()).toEqual([...names].sort());
  for (const name of names) {
    const mine = recomputed.grads.get(name)!;
    const theirs = reference.grads.get(name)!;
    // A gradient that is identically zero would make the comparison vacuous.
    expect(theirs.some((v) => v !== 0), name).toBe(true);
    expect(relativeDiff(mine, theirs), name).toBeLessThan(1e-4);
  }
}

describe('reversible encoder', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  const reversible = (overrides: Partial<ClassifierConfig> = {}): ClassifierConfig =>
    tinyConfig({ reversible: true, layers: 3, ...overrides });

  it('matches plain autodiff in loss and every gradient without dropout', () => {
    expectSameGradients(reversible({ dropout: 0, attentionDropout: 0 }), () => trainingContext(4, 1));
  });

  it('matches plain autodiff with dropout and attention dropout, replaying the same masks', () => {
    expectSameGradients(reversible({ dropout: 0.2, attentionDropout: 0.3 }), () => trainingContext(4, 2));
  });

  it('matches plain autodiff for a spectral mixer, mean pooling and a pair task', () => {
    expectSameGradients(
      reversible({ mixer: 'gfnet', pool: 'mean', positions: 'sinusoidal', pair: true, pairInteraction: 'nli', dropout: 0.1 }),
      () => trainingContext(9, 3),
    );
  });

  it('changes the function: dropout masks differ from step to step and are applied', () => {
    const config = reversible({ dropout: 0.2 });
    const step1 = lossAndGradsOf(config, {}, () => trainingContext(4, 1)).loss;
    const step2 = lossAndGradsOf(config, {}, () => trainingContext(4, 2)).loss;
    const noDropout = lossAndGradsOf(config, {}, () => inferenceContext()).loss;
    expect(step1).not.toBeCloseTo(step2, 4);
    expect(step1).not.toBeCloseTo(noDropout, 4);
  });

  it('has the same parameters as the ordinary encoder, and a different function', () => {
    const ordinary = createClassifier(tinyConfig({ layers: 3 }), 5);
    const twoStream = createClassifier(reversible(), 5);
    const tokens = paddedTokens('reversible-params', [10, 4], 10);
    try {
      expect(twoStream.params.variables().map((p) => p.name)).toEqual(ordinary.params.variables().map((p) => p.name));
      expect(twoStream.paramCount()).toBe(ordinary.paramCount());
      const a = tf.tidy(() => ordinary.logits({ tokens }, inferenceContext()).dataSync());
      const b = tf.tidy(() => twoStream.logits({ tokens }, inferenceContext()).dataSync());
      expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeGreaterThan(1e-4);
    } finally {
      tokens.dispose();
      ordinary.dispose();
      twoStream.dispose();
    }
  });

  it('keeps the tensor count flat across training steps and inference', () => {
    const model = createClassifier(reversible({ dropout: 0.1 }), 2);
    const tokens = paddedTokens('reversible-leak', [10, 5], 10);
    const labels = tf.oneHot(tf.tensor1d([1, 2], 'int32'), 3);
    const step = (i: number): void => {
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.logits({ tokens }, trainingContext(1, i))));
      tf.dispose([value, grads]);
      tf.tidy(() => {
        model.logits({ tokens }, inferenceContext());
      });
    };
    step(0);
    const before = tf.memory().numTensors;
    for (let i = 1; i <= 3; i++) step(i);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([tokens, labels]);
    model.dispose();
  });
});
