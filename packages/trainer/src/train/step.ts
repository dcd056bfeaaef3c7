import * as tf from '@tensorflow/tfjs';
import type { Batch } from '@lra/data';
import { type Classifier, type ExampleSlice, type ForwardContext, type StateUpdate, startPeakMeter } from '@lra/models';
import type { AdamW } from './optimizer.js';
import { toTensors } from './batch-tensors.js';
import { microBatchSlices, sliceBatch } from './micro-batches.js';

export interface StepResult {
  loss: number;
  correct: number;
  size: number;
  /** The step's high-water mark of tensor memory (see startPeakMeter). */
  peakBytes: number;
}

/**
 * The forward context of one pass: given the pass's slice of the batch (absent when the pass
 * holds the whole batch). Every slice of one step must draw the same seeds (trainingContext(seed,
 * step, slice) does), so that dropout takes each slice's part of one whole-batch mask.
 */
export type StepContext = ForwardContext | ((slice?: ExampleSlice) => ForwardContext);

/**
 * One optimisation step: forward with dropout drawn from the step's context, mean cross-entropy,
 * gradients, one AdamW update. With `microBatch` below the batch size the batch is processed in
 * micro-batches whose gradients are summed (each micro-batch's loss is its share of the whole
 * batch's mean), so the update is the full batch's, whatever the split. Every intermediate
 * tensor is released before it returns. Non-trained state (batch norm's running statistics) moves
 * after the optimiser's update, once per pass, in pass order (as torch's would over accumulated
 * micro-batches); batch norm normalises each pass with that pass's statistics, so with batch norm
 * a split batch is not the whole batch.
 */
export async function trainStep(
  model: Classifier,
  optimizer: AdamW,
  batch: Batch,
  lr: number,
  context: StepContext,
  scheduleFactor = 1,
  microBatch: number = batch.size,
): Promise<StepResult> {
  const meter = startPeakMeter();
  const slices = microBatchSlices(batch.size, microBatch);
  let accumulated: Map<string, tf.Tensor> | null = null;
  let lossSum = 0;
  let correctSum = 0;
  const stateUpdates: StateUpdate[] = [];
  try {
    for (const slice of slices) {
      const whole = slices.length === 1;
      const base = typeof context === 'function' ? context(whole ? undefined : { offset: slice.offset, count: slice.size }) : context;
      const ctx: ForwardContext = { ...base, stateUpdates };
      if (!whole && typeof context !== 'function') throw new Error('micro-batches need a context per slice: pass (slice) => trainingContext(seed, step, slice)');
      const part = whole ? batch : sliceBatch(batch, slice.offset, slice.size);
      const pass = gradientPass(model, part, batch.size, ctx, meter.probe);
      accumulated = accumulate(accumulated, pass.grads);
      const [lossValue, correctValue] = await Promise.all([pass.loss.data(), pass.correct.data()]);
      tf.dispose([pass.loss, pass.correct]);
      lossSum += lossValue[0]!;
      correctSum += correctValue[0]!;
    }
    meter.probe();
    tf.tidy(() => optimizer.apply(accumulated!, lr, scheduleFactor));
    for (const update of stateUpdates) update.apply();
    return { loss: lossSum, correct: correctSum, size: batch.size, peakBytes: meter.stop() };
  } finally {
    if (accumulated) tf.dispose([...accumulated.values()]);
    for (const update of stateUpdates) update.dispose();
    meter.stop();
  }
}

export interface GradientPass {
  /** This pass's part of the whole batch's mean loss: sum over its examples / whole batch size. */
  loss: tf.Scalar;
  correct: tf.Scalar;
  /** By parameter name. */
  grads: Map<string, tf.Tensor>;
}

/**
 * Forward and backward over `part` (a batch or a micro-batch of a batch of `wholeSize`):
 * gradients of the part's share of the whole batch's mean loss. The caller owns what it returns.
 */
export function gradientPass(model: Classifier, part: Batch, wholeSize: number, ctx: ForwardContext, probe: () => void = () => {}): GradientPass {
  const params = model.params.variables();
  const byVariable = new Map(params.map((p) => [p.variable.name, p.name]));
  // tidy keeps the tensors of a plain object it returns (not those inside a Map).
  const kept = tf.tidy(() => {
    const { tokens, tokens2, labels } = toTensors(part);
    let correct: tf.Scalar | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.logits(tokens2 ? { tokens, tokens2 } : { tokens }, ctx);
      correct = tf.keep(countCorrect(logits, labels));
      const loss = tf.div(crossEntropy(logits, labels, model.config.numClasses, 'sum'), wholeSize) as tf.Scalar;
      probe(); // every activation the backward pass needs is alive here
      return loss;
    }, params.map((p) => p.variable));
    probe();
    return { loss: value, correct: correct!, grads };
  });
  const named = new Map<string, tf.Tensor>();
  for (const [varName, g] of Object.entries(kept.grads)) named.set(byVariable.get(varName) ?? varName, g);
  return { loss: kept.loss, correct: kept.correct as tf.Scalar, grads: named };
}

/** Adds `grads` into the running sums (taking ownership of both); the first pass's grads start them. */
function accumulate(sums: Map<string, tf.Tensor> | null, grads: Map<string, tf.Tensor>): Map<string, tf.Tensor> {
  if (!sums) return grads;
  for (const [name, g] of grads) {
    const previous = sums.get(name);
    if (!previous) {
      sums.set(name, g);
      continue;
    }
    sums.set(name, tf.add(previous, g));
    tf.dispose([previous, g]);
  }
  return sums;
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
