import * as tf from '@tensorflow/tfjs';
import { type SplitData, evalBatches } from '@lra/data';
import { type Classifier, inferenceContext } from '@lra/models';
import { toTensors } from './batch-tensors.js';
import { microBatchSlices, sliceBatch } from './micro-batches.js';
import { countCorrect, crossEntropy } from './step.js';

export interface EvalResult {
  accuracy: number;
  loss: number;
  count: number;
}

/** Accuracy and mean loss over a split (or its first `maxBatches` batches), without dropout. */
export async function evaluate(
  model: Classifier,
  data: SplitData,
  opts: {
    batchSize: number;
    seqLen: number;
    maxBatches: number | null;
    dropRemainder?: boolean;
    microBatch?: number;
    /** Called after each batch with the number done (a progress bar's hook). */
    onBatch?: (batchesDone: number) => void;
  },
): Promise<EvalResult> {
  const ctx = inferenceContext();
  let correct = 0;
  let lossSum = 0;
  let count = 0;
  let batches = 0;
  for (const batch of evalBatches(data, { batchSize: opts.batchSize, seqLen: opts.seqLen, dropRemainder: opts.dropRemainder ?? false })) {
    if (opts.maxBatches !== null && batches >= opts.maxBatches) break;
    // The training plan's micro-batch bounds a forward pass here too (without dropout the split changes nothing).
    for (const slice of microBatchSlices(batch.size, opts.microBatch ?? batch.size)) {
      const part = slice.size === batch.size ? batch : sliceBatch(batch, slice.offset, slice.size);
      const [c, l] = tf.tidy(() => {
        const { tokens, tokens2, labels } = toTensors(part);
        const logits = model.logits(tokens2 ? { tokens, tokens2 } : { tokens }, ctx);
        return [countCorrect(logits, labels), crossEntropy(logits, labels, model.config.numClasses, 'sum')];
      });
      const [cv, lv] = await Promise.all([c.data(), l.data()]);
      c.dispose();
      l.dispose();
      correct += cv[0]!;
      lossSum += lv[0]!;
    }
    count += batch.size;
    batches += 1;
    opts.onBatch?.(batches);
  }
  return { accuracy: count ? correct / count : Number.NaN, loss: count ? lossSum / count : Number.NaN, count };
}

/** How many batches evaluate() runs over `count` examples with these options. */
export function evaluationBatches(count: number, opts: { batchSize: number; maxBatches: number | null; dropRemainder?: boolean }): number {
  const all = opts.dropRemainder ? Math.floor(count / opts.batchSize) : Math.ceil(count / opts.batchSize);
  return opts.maxBatches === null ? all : Math.min(all, opts.maxBatches);
}
