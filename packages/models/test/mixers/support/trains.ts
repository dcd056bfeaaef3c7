import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { createClassifier } from '../../../src/encoder/classifier.js';
import type { ClassifierConfig } from '../../../src/encoder/config.js';
import { trainingContext } from '../../../src/nn/context.js';

export interface TrainCheck {
  firstLoss: number;
  lastLoss: number;
  /** Tensors alive after the run minus before it: 0 when nothing leaked. */
  leaked: number;
}

/**
 * Trains a small classifier with the given mixer for `steps` Adam steps on a synthetic task whose
 * label needs information from across the sequence (which of tokens 1 and 2 occurs more often),
 * and returns the mean loss of the first and last quarter of the steps. A mixer that mixes
 * tokens (and passes gradients to its parameters) lowers it clearly within a few dozen steps.
 */
export function trainsOnSyntheticTask(
  mixer: string,
  mixerOptions: Record<string, unknown> = {},
  opts: { steps?: number; seqLen?: number; overrides?: Partial<ClassifierConfig> } = {},
): TrainCheck {
  const steps = opts.steps ?? 40;
  const seqLen = opts.seqLen ?? 16;
  const before = tf.memory().numTensors;
  const config: ClassifierConfig = {
    vocabSize: 6,
    seqLen,
    numClasses: 2,
    dModel: 16,
    heads: 2,
    layers: 1,
    mlpDim: 32,
    dropout: 0,
    attentionDropout: 0,
    pool: 'mean',
    positions: 'sinusoidal',
    mixer: mixer as ClassifierConfig['mixer'],
    mixerOptions,
    ...opts.overrides,
  };
  const model = createClassifier(config, 11);
  const optimizer = tf.train.adam(3e-3);
  const variables = model.params.variables().map((p) => p.variable);
  const random = seedrandom('synthetic-majority');
  const batch = 32;
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const ids = new Int32Array(batch * seqLen);
    const labels = new Int32Array(batch);
    for (let r = 0; r < batch; r++) {
      let ones = 0;
      let twos = 0;
      for (let i = 0; i < seqLen; i++) {
        const id = 1 + Math.floor(random() * 5);
        ids[r * seqLen + i] = id;
        if (id === 1) ones++;
        if (id === 2) twos++;
      }
      labels[r] = ones > twos ? 1 : 0;
    }
    const loss = tf.tidy(() => {
      const tokens = tf.tensor2d(ids, [batch, seqLen], 'int32');
      const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), 2).toFloat();
      const ctx = trainingContext(5, step);
      return optimizer.minimize(() => {
        const logits = model.logits({ tokens }, ctx);
        return tf.mean(tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), -1))) as tf.Scalar;
      }, true, variables)!;
    });
    losses.push(loss.dataSync()[0]!);
    loss.dispose();
  }
  optimizer.dispose();
  model.dispose();
  const quarter = Math.max(1, Math.floor(steps / 4));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { firstLoss: mean(losses.slice(0, quarter)), lastLoss: mean(losses.slice(-quarter)), leaked: tf.memory().numTensors - before };
}
