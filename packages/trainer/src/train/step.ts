import * as tf from '@tensorflow/tfjs';
import type { Batch } from '@lra/data';
import { type Classifier, type ForwardContext, startPeakMeter } from '@lra/models';
import type { AdamW } from './optimizer.js';
import { toTensors } from './batch-tensors.js';

export interface StepResult {
  loss: number;
  correct: number;
  size: number;
  /** The step's high-water mark of tensor memory (see startPeakMeter). */
  peakBytes: number;
}

/**
 * One optimisation step: forward with dropout drawn from `ctx` (seeded by run and step), mean cross-entropy,
 * gradients, one AdamW update. Every intermediate tensor is released before it returns.
 */
export async function trainStep(model: Classifier, optimizer: AdamW, batch: Batch, lr: number, ctx: ForwardContext, scheduleFactor = 1): Promise<StepResult> {
  const params = model.params.variables();
  const byVariable = new Map(params.map((p) => [p.variable.name, p.name]));
  const meter = startPeakMeter();
  const [loss, correct] = tf.tidy(() => {
    const { tokens, tokens2, labels } = toTensors(batch);
    let correctCount: tf.Scalar | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.logits(tokens2 ? { tokens, tokens2 } : { tokens }, ctx);
      correctCount = tf.keep(countCorrect(logits, labels));
      const loss = crossEntropy(logits, labels, model.config.numClasses, 'mean');
      meter.probe(); // every activation the backward pass needs is alive here
      return loss;
    }, params.map((p) => p.variable));
    const named = new Map<string, tf.Tensor>();
    for (const [varName, g] of Object.entries(grads)) named.set(byVariable.get(varName) ?? varName, g);
    meter.probe();
    optimizer.apply(named, lr, scheduleFactor);
    return [value, correctCount!];
  });
  const peakBytes = meter.stop();
  const [lossValue, correctValue] = await Promise.all([loss.data(), correct.data()]);
  loss.dispose();
  correct.dispose();
  return { loss: lossValue[0]!, correct: correctValue[0]!, size: batch.size, peakBytes };
}

export function countCorrect(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), labels), 'float32')) as tf.Scalar);
}

/** Softmax cross-entropy against integer labels, averaged or summed over the batch. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, numClasses: number, reduce: 'mean' | 'sum'): tf.Scalar {
  return tf.tidy(() => {
    const onehot = tf.oneHot(labels, numClasses).toFloat();
    const perExample = tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), -1));
    return (reduce === 'mean' ? tf.mean(perExample) : tf.sum(perExample)) as tf.Scalar;
  });
}
