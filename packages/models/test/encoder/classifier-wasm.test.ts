// The classifier on the wasm backend (with the project's kernels): same parameters and logits as
// on cpu, trainable (the embedding's gather gradient needs UnsortedSegmentSum), and leak-free.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { createClassifier } from '../../src/encoder/classifier.js';
import type { ClassifierConfig } from '../../src/encoder/config.js';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { paddedTokens, tinyConfig } from './fixtures.js';

interface Outcome {
  logits: Float32Array;
  trainLogits: Float32Array;
  grads: Record<string, Float32Array>;
}

function run(config: ClassifierConfig): Outcome {
  const model = createClassifier(config, 8);
  const tokens = paddedTokens('wasm', [10, 7, 2], 10);
  const tokens2 = config.pair ? paddedTokens('wasm2', [4, 9, 10], 10) : undefined;
  const inputs = tokens2 ? { tokens, tokens2 } : { tokens };
  const logits = tf.tidy(() => model.logits(inputs, inferenceContext()).dataSync() as Float32Array);
  const trainLogits = tf.tidy(() => model.logits(inputs, trainingContext(3, 5)).dataSync() as Float32Array);
  const { value, grads } = tf.variableGrads(() =>
    tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([0, 1, 2], 'int32'), 3), model.logits(inputs, trainingContext(3, 5))),
  );
  const byName: Record<string, Float32Array> = {};
  for (const { name, variable } of model.params.variables()) byName[name] = grads[variable.name]!.dataSync() as Float32Array;
  tf.dispose([value, grads, tokens, tokens2 ?? []]);
  model.dispose();
  return { logits, trainLogits, grads: byName };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('classifier on wasm', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const overrides of [
    {},
    { pool: 'mean' as const, positions: 'sinusoidal' as const, mixerOptions: { positions: 'rope' } },
    { pair: true, pairInteraction: 'nli' as const },
  ]) {
    it(`agrees with cpu on logits and gradients ${JSON.stringify(overrides)}`, async () => {
      const config = tinyConfig(overrides);
      await tf.setBackend('cpu');
      const onCpu = run(config);
      await selectBackend('wasm');
      const onWasm = run(config);
      await tf.setBackend('cpu');
      expect(maxAbsDiff(onWasm.logits, onCpu.logits)).toBeLessThan(1e-4);
      // Dropout masks are drawn in JavaScript from the same seeds on both backends.
      expect(maxAbsDiff(onWasm.trainLogits, onCpu.trainLogits)).toBeLessThan(1e-4);
      for (const name of Object.keys(onCpu.grads)) {
        const scale = Math.max(1, ...Array.from(onCpu.grads[name]!, Math.abs));
        expect(maxAbsDiff(onWasm.grads[name]!, onCpu.grads[name]!) / scale, name).toBeLessThan(1e-4);
      }
    });
  }

  it('keeps the tensor count flat across training steps', async () => {
    await selectBackend('wasm');
    const model = createClassifier(tinyConfig(), 2);
    const tokens = paddedTokens('wasm-leak', [10, 5], 10);
    const step = (i: number): void => {
      const { value, grads } = tf.variableGrads(() =>
        tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([1, 2], 'int32'), 3), model.logits({ tokens }, trainingContext(1, i))),
      );
      tf.dispose([value, grads]);
    };
    step(0);
    const before = tf.memory().numTensors;
    for (let i = 1; i < 4; i++) step(i);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    tokens.dispose();
    await tf.setBackend('cpu');
  });
});
