import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier, type Classifier } from '../../src/encoder/classifier.js';
import type { ClassifierConfig } from '../../src/encoder/config.js';
import type { MixerName } from '../../src/mixers/registry.js';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { morePadding, paddedTokens, tinyConfig } from './fixtures.js';

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

function crossEntropy(model: Classifier, tokens: tf.Tensor2D, labels: number[], seed: number, tokens2?: tf.Tensor2D): tf.Scalar {
  const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), model.config.numClasses);
  const inputs = tokens2 ? { tokens, tokens2 } : { tokens };
  return tf.losses.softmaxCrossEntropy(onehot, model.logits(inputs, trainingContext(seed, 1)));
}

describe('classifier', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('returns [B, classes] logits for every pooling, position and block style', () => {
    const variants: Array<Partial<ClassifierConfig>> = [
      { pool: 'cls', positions: 'learned' },
      { pool: 'mean', positions: 'sinusoidal' },
      { pool: 'cls', positions: 'none', block: 'post-ln', layerNormEps: 1e-12 },
      { pool: 'mean', positions: 'learned', mixerOptions: { positions: 'rope', qkvDim: 4 } },
    ];
    for (const variant of variants) {
      const model = createClassifier(tinyConfig(variant), 1);
      const logits = model.logits({ tokens: paddedTokens('shapes', [10, 4, 1], 10) }, inferenceContext());
      expect(logits.shape, JSON.stringify(variant)).toEqual([3, 3]);
      expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
      model.dispose();
    }
  });

  it('builds the LRA layout: parameters and their count', () => {
    const model = createClassifier(tinyConfig(), 1);
    const names = model.params.variables().map((p) => p.name);
    expect(names.slice(0, 3)).toEqual(['embed/tokens', 'embed/cls', 'embed/positions']);
    expect(names).toContain('layer1/mixer/query/kernel');
    expect(names).toContain('layer0/mixerNorm/scale');
    expect(names).toContain('layer0/feedForward/expand/kernel');
    expect(names.slice(-6)).toEqual([
      'encoderNorm/scale', 'encoderNorm/bias', 'head/hidden/kernel', 'head/hidden/bias', 'head/logits/kernel', 'head/logits/bias',
    ]);
    const [V, N, D, F, C, L] = [11, 10, 8, 16, 3, 2];
    const embed = V * D + D + (N + 1) * D;
    const block = 4 * D * D + 2 * 2 * D + (D * F + F + F * D + D);
    const head = D * F + F + F * C + C;
    expect(model.paramCount()).toBe(embed + L * block + 2 * D + head);
    expect(model.params.get('embed/positions').shape).toEqual([N + 1, D]);
    // The CLS embedding starts at zero, as LRA's.
    expect(Array.from(model.params.get('embed/cls').dataSync()).every((v) => v === 0)).toBe(true);
    model.dispose();

    const postLn = createClassifier(tinyConfig({ block: 'post-ln', pool: 'mean', positions: 'sinusoidal' }), 1);
    const postNames = postLn.params.variables().map((p) => p.name);
    expect(postNames).not.toContain('encoderNorm/scale');
    expect(postNames).not.toContain('embed/cls');
    expect(postNames).not.toContain('embed/positions');
    postLn.dispose();
  });

  it('gives the same logits for the same seed and different ones for another', () => {
    const tokens = paddedTokens('seeds', [6, 9], 10);
    const logitsFor = (seed: number): tf.Tensor2D => {
      const model = createClassifier(tinyConfig(), seed);
      const out = model.logits({ tokens }, inferenceContext());
      model.dispose();
      return out;
    };
    expect(Array.from(logitsFor(4).dataSync())).toEqual(Array.from(logitsFor(4).dataSync()));
    expect(maxAbsDiff(logitsFor(4), logitsFor(5))).toBeGreaterThan(1e-4);
  });

  for (const variant of [
    { pool: 'cls' as const, positions: 'learned' as const },
    { pool: 'mean' as const, positions: 'sinusoidal' as const },
    { pool: 'mean' as const, positions: 'none' as const, block: 'post-ln' as const },
    { pool: 'cls' as const, positions: 'learned' as const, mixerOptions: { positions: 'rope' } },
  ]) {
    it(`ignores padding at inference ${JSON.stringify(variant)}`, () => {
      const model = createClassifier(tinyConfig({ ...variant, seqLen: 16 }), 2);
      const tokens = paddedTokens('padding', [5, 9, 1], 9);
      const short = model.logits({ tokens }, inferenceContext());
      const long = model.logits({ tokens: morePadding(tokens, 7) }, inferenceContext());
      expect(maxAbsDiff(short, long)).toBeLessThan(1e-5);
      // The first row alone, cut to its real tokens, gives the same logits as in the batch.
      const alone = model.logits({ tokens: tf.slice(tokens, [0, 0], [1, 5]) }, inferenceContext());
      expect(maxAbsDiff(alone, tf.slice(short, [0, 0], [1, 3]))).toBeLessThan(1e-5);
      // Changing a real token does change them (the test can fail).
      const edited = tf.tensor2d(Int32Array.from(tokens.dataSync(), (v, i) => (i === 2 ? 1 + (v % 10) : v)), tokens.shape, 'int32');
      expect(maxAbsDiff(model.logits({ tokens: edited }, inferenceContext()), short)).toBeGreaterThan(1e-5);
      model.dispose();
    });
  }

  it('rejects inputs longer than seqLen', () => {
    const model = createClassifier(tinyConfig(), 1);
    expect(() => model.logits({ tokens: paddedTokens('long', [11], 11) }, inferenceContext())).toThrow(
      "input length 11 exceeds the model's seqLen 10",
    );
    model.dispose();
  });

  describe('pair tasks', () => {
    for (const pairInteraction of ['concat', 'nli'] as const) {
      it(`shares one encoder and combines both documents (${pairInteraction})`, () => {
        const model = createClassifier(tinyConfig({ pair: true, pairInteraction, classifierHidden: 12 }), 3);
        const hiddenIn = model.params.get('head/hidden/kernel').shape[0];
        expect(hiddenIn).toBe(pairInteraction === 'nli' ? 4 * 8 : 2 * 8);
        expect(model.params.get('head/hidden2/kernel').shape).toEqual([12, 6]);
        expect(model.params.get('head/logits/kernel').shape).toEqual([6, 3]);
        expect(model.params.variables().filter((p) => p.name.startsWith('embed/tokens'))).toHaveLength(1);

        const first = paddedTokens('doc1', [10, 3], 10);
        const second = paddedTokens('doc2', [2, 7], 7);
        const logits = model.logits({ tokens: first, tokens2: second }, inferenceContext());
        expect(logits.shape).toEqual([2, 3]);
        // Different padding of the second document changes nothing.
        const padded = model.logits({ tokens: first, tokens2: morePadding(second, 3) }, inferenceContext());
        expect(maxAbsDiff(logits, padded)).toBeLessThan(1e-5);
        // The order of the documents matters to the head.
        const swapped = model.logits({ tokens: morePadding(second, 3), tokens2: first }, inferenceContext());
        expect(maxAbsDiff(logits, swapped)).toBeGreaterThan(1e-5);
        expect(() => model.logits({ tokens: first }, inferenceContext())).toThrow('needs tokens2');
        model.dispose();
      });
    }

    it('refuses a second document for a single-document classifier', () => {
      const model = createClassifier(tinyConfig(), 1);
      const tokens = paddedTokens('x', [3], 4);
      expect(() => model.logits({ tokens, tokens2: tokens }, inferenceContext())).toThrow('without pair: true');
      model.dispose();
    });
  });

  it('reports unknown mixers and options before allocating anything', () => {
    const before = tf.memory().numTensors;
    expect(() => createClassifier(tinyConfig({ mixer: 'nope' as MixerName }), 1)).toThrow(
      'invalid classifier config: unknown mixer "nope"; known: attention',
    );
    expect(() => createClassifier(tinyConfig({ mixerOptions: { heads: 4 } }), 1)).toThrow(
      'unknown option "heads" for mixer attention; known: qkvDim, positions, bias',
    );
    expect(() => createClassifier(tinyConfig({ heads: 3 }), 1)).toThrow('qkvDim 8 is not divisible by 3 heads');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps the tensor count flat across forward and gradient calls', () => {
    for (const overrides of [{}, { pair: true, pool: 'mean' as const, positions: 'sinusoidal' as const }]) {
      const model = createClassifier(tinyConfig(overrides), 1);
      const tokens = paddedTokens('leak', [10, 4], 10);
      const tokens2 = overrides.pair ? paddedTokens('leak2', [3, 8], 8) : undefined;
      const inputs = tokens2 ? { tokens, tokens2 } : { tokens };
      const step = (i: number): void => {
        model.logits(inputs, trainingContext(1, i)).dispose();
        model.logits(inputs, inferenceContext()).dispose();
        const { value, grads } = tf.variableGrads(() => crossEntropy(model, tokens, [0, 2], i, tokens2));
        value.dispose();
        tf.dispose(grads);
      };
      step(0);
      const before = tf.memory().numTensors;
      for (let i = 1; i < 4; i++) step(i);
      expect(tf.memory().numTensors).toBe(before);
      const withModel = tf.memory().numTensors;
      const count = model.params.variables().length;
      model.dispose();
      expect(tf.memory().numTensors).toBe(withModel - count);
    }
  });

  it('has loss gradients that match finite differences for every parameter (dropout on, fixed masks)', () => {
    const model = createClassifier(tinyConfig({ layers: 1, dropout: 0.2, attentionDropout: 0.2 }), 6);
    const tokens = paddedTokens('grad', [10, 6, 3], 10);
    const labels = [0, 1, 2];
    // At initialisation the CLS vector is zero plus a position of scale 0.02, and LayerNorm of so
    // small a vector is too curved for float32 differences: check at a trained-looking point.
    model.params.get('embed/cls').assign(tf.randomNormal([1, 1, 8], 0, 1, 'float32', 12));
    const loss = (): tf.Scalar => crossEntropy(model, tokens, labels, 9);
    const { value, grads } = tf.variableGrads(loss);
    value.dispose();
    const random = seedrandom('directions');
    // Small enough not to cross the head's ReLU kinks, large enough for float32 losses.
    const eps = 1e-3;
    for (const { name, variable } of model.params.variables()) {
      const original = variable.clone();
      const direction = tf.tensor(Float32Array.from({ length: variable.size }, () => random() * 2 - 1), variable.shape);
      const analytic = tf.sum(tf.mul(grads[variable.name]!, direction)).dataSync()[0]!;
      const lossAt = (step: number): number => {
        variable.assign(tf.tidy(() => tf.add(original, tf.mul(direction, step))));
        return tf.tidy(() => loss().dataSync()[0]!);
      };
      const numeric = (lossAt(eps) - lossAt(-eps)) / (2 * eps);
      variable.assign(original);
      expect(Math.abs(analytic - numeric), `${name}: analytic ${analytic}, numeric ${numeric}`).toBeLessThan(
        3e-4 + 3e-3 * Math.abs(numeric),
      );
      tf.dispose([original, direction]);
    }
    tf.dispose(grads);
    model.dispose();
  });
});
