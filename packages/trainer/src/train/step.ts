import * as tf from '@tensorflow/tfjs';
import type { Batch } from '@lra/data';
import type { Classifier, ForwardContext } from '@lra/models';
import type { AdamW } from './optimizer.js';
import { toTensors } from './batch-tensors.js';

export interface StepResult {
  loss: number;
  correct: number;
  size: number;
  /**
   * Bytes held by tensors at the end of the forward pass (every activation the backward pass
   * needs is alive then) plus one gradient per parameter: the step's high-water mark.
   */
  peakBytes: number;
}

/**
 * One optimisation step: forward with dropout drawn from `ctx` (seeded by run and step), mean cross-entropy,
 * gradients, one AdamW update. Every intermediate tensor is released before it returns.
 */
export async function trainStep(model: Classifier, optimizer: AdamW, batch: Batch, lr: number, ctx: ForwardContext): Promise<StepResult> {
  const params = model.params.variables();
  const byVariable = new Map(params.map((p) => [p.variable.name, p.name]));
  let peakBytes = 0;
  const [loss, correct] = tf.tidy(() => {
    const { tokens, tokens2, labels } = toTensors(batch);
    let correctCount: tf.Scalar | null = null;
    let forwardBytes = 0;
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.logits(tokens2 ? { tokens, tokens2 } : { tokens }, ctx);
      correctCount = tf.keep(countCorrect(logits, labels));
      const loss = crossEntropy(logits, labels, model.config.numClasses, 'mean');
      forwardBytes = tf.memory().numBytes;
      return loss;
    }, params.map((p) => p.variable));
    const named = new Map<string, tf.Tensor>();
    for (const [varName, g] of Object.entries(grads)) named.set(byVariable.get(varName) ?? varName, g);
    optimizer.apply(named, lr);
    peakBytes = forwardBytes + gradientBytes(named);
    return [value, correctCount!];
  });
  const [lossValue, correctValue] = await Promise.all([loss.data(), correct.data()]);
  loss.dispose();
  correct.dispose();
  return { loss: lossValue[0]!, correct: correctValue[0]!, size: batch.size, peakBytes };
}

function gradientBytes(grads: ReadonlyMap<string, tf.Tensor>): number {
  let bytes = 0;
  for (const g of grads.values()) bytes += g.size * 4;
  return bytes;
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
