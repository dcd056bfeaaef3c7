// Blocked attention inside the whole classifier: the same loss and the same gradient for every
// parameter as dense attention, over two layers with padding, a CLS token, dropout everywhere
// (one seed stream: blocked attention draws its seed where dense attention does, so every later
// layer's masks agree too), a micro-batch context, and reversible blocks (whose backward
// recomputes the mixer inside an enclosing gradient).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier } from '../../src/encoder/classifier.js';
import type { ClassifierConfig } from '../../src/encoder/config.js';
import { type ForwardContext, trainingContext } from '../../src/nn/context.js';
import { useBackend } from '../backend/on-backends.js';
import { paddedTokens, tinyConfig } from '../encoder/fixtures.js';
import { relativeDiff } from './support/dense-vs-blocked.js';

const LABELS = [0, 2, 1];

function lossAndGrads(config: ClassifierConfig, ctx: () => ForwardContext): { loss: number; grads: Map<string, Float32Array> } {
  const model = createClassifier(config, 5);
  const tokens = paddedTokens('blocked-classifier', [10, 6, 3], 10);
  try {
    const { value, grads } = tf.variableGrads(() =>
      tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(LABELS, 'int32'), config.numClasses), model.logits({ tokens }, ctx())),
    );
    const byName = new Map<string, Float32Array>();
    for (const { name, variable } of model.params.variables()) byName.set(name, grads[variable.name]!.dataSync() as Float32Array);
    const loss = value.dataSync()[0]!;
    tf.dispose([value, grads]);
    return { loss, grads: byName };
  } finally {
    tokens.dispose();
    model.dispose();
  }
}

function expectSame(overrides: Partial<ClassifierConfig>, ctx: () => ForwardContext): void {
  // 11 positions (CLS and 10 tokens) in blocks of 4 queries and 4 keys: the online softmax path.
  const blocks = { blockSize: 4, keyBlockSize: 4 };
  const dense = lossAndGrads(tinyConfig({ ...overrides, mixerOptions: { ...blocks, implementation: 'dense' } }), ctx);
  const blocked = lossAndGrads(tinyConfig({ ...overrides, mixerOptions: { ...blocks, implementation: 'blocked' } }), ctx);
  expect(Math.abs(blocked.loss - dense.loss)).toBeLessThan(1e-5);
  expect([...blocked.grads.keys()].sort()).toEqual([...dense.grads.keys()].sort());
  for (const [name, grad] of dense.grads) expect(relativeDiff(blocked.grads.get(name)!, grad), name).toBeLessThan(1e-5);
}

describe('blocked attention in the classifier', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('gives dense attention\'s loss and gradients, dropout on', () => expectSame({}, () => trainingContext(7, 3)));
  it('in a micro-batch at offset 4', () => expectSame({}, () => trainingContext(7, 3, { offset: 4, count: 3 })));
  it('with reversible blocks (recomputed in the backward pass)', () => expectSame({ reversible: true }, () => trainingContext(7, 3)));
});
