import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { startPeakMeter } from '../../src/backend/peak-memory.js';
import { createClassifier, type ClassifierBuildOptions } from '../../src/encoder/classifier.js';
import type { ClassifierConfig } from '../../src/encoder/config.js';
import { trainingContext, type ForwardContext } from '../../src/nn/context.js';

/** A classifier small enough for finite differences and fast tests. */
export function tinyConfig(overrides: Partial<ClassifierConfig> = {}): ClassifierConfig {
  return {
    vocabSize: 11,
    seqLen: 10,
    numClasses: 3,
    dModel: 8,
    heads: 2,
    layers: 2,
    mlpDim: 16,
    dropout: 0.1,
    attentionDropout: 0.1,
    pool: 'cls',
    positions: 'learned',
    mixer: 'attention',
    mixerOptions: {},
    ...overrides,
  };
}

/** int32 [rows, length] of ids in [1, vocab) with lengths[r] real tokens, then padding 0. */
export function paddedTokens(seed: string, lengths: number[], length: number, vocab = 11): tf.Tensor2D {
  const random = seedrandom(seed);
  const ids = new Int32Array(lengths.length * length);
  lengths.forEach((real, r) => {
    for (let i = 0; i < real; i++) ids[r * length + i] = 1 + Math.floor(random() * (vocab - 1));
  });
  return tf.tensor2d(ids, [lengths.length, length], 'int32');
}

/** The same rows with `extra` more padding columns at the end. */
export function morePadding(tokens: tf.Tensor2D, extra: number): tf.Tensor2D {
  return tf.pad(tokens, [[0, 0], [0, extra]]);
}

/** Largest absolute difference over the largest magnitude of `b` (at least 1e-6). */
export function relativeDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  let scale = 1e-6;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return worst / scale;
}

export interface LossAndGrads {
  loss: number;
  /** By parameter name, for every parameter that received a gradient. */
  grads: Map<string, Float32Array>;
}

/**
 * Softmax cross-entropy of a model built from `config` (seed 5) on padded rows of the given real
 * lengths, and every parameter's gradient. Tensors are released before it returns.
 */
export function lossAndGrads(
  config: ClassifierConfig,
  opts: { seed: string; lengths: [number[], number[]]; labels: number[]; ctx: () => ForwardContext; build?: ClassifierBuildOptions },
): LossAndGrads {
  const model = createClassifier(config, 5, opts.build ?? {});
  const tokens = paddedTokens(opts.seed, opts.lengths[0], config.seqLen);
  const tokens2 = config.pair ? paddedTokens(`${opts.seed}2`, opts.lengths[1], config.seqLen) : undefined;
  try {
    const { value, grads } = tf.variableGrads(() =>
      tf.losses.softmaxCrossEntropy(
        tf.oneHot(tf.tensor1d(opts.labels, 'int32'), config.numClasses),
        model.logits(tokens2 ? { tokens, tokens2 } : { tokens }, opts.ctx()),
      ),
    );
    const byName = new Map<string, Float32Array>();
    for (const { name, variable } of model.params.variables()) {
      const grad = grads[variable.name];
      if (grad) byName.set(name, grad.dataSync() as Float32Array);
    }
    const loss = value.dataSync()[0]!;
    tf.dispose([value, grads]);
    return { loss, grads: byName };
  } finally {
    tf.dispose([tokens, tokens2 ?? []]);
    model.dispose();
  }
}

/** Peak bytes of the second of two training passes (the first fills caches) of a model of `config` on 2 rows of length N. */
export function stepPeak(config: ClassifierConfig, seed: string): number {
  const n = config.seqLen;
  const model = createClassifier(config, 3);
  const tokens = paddedTokens(seed, [n, n - 40], n);
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
