import * as tf from '@tensorflow/tfjs';
import type { Batch } from '@lra/data';

export interface BatchTensors {
  tokens: tf.Tensor2D;
  tokens2?: tf.Tensor2D;
  labels: tf.Tensor1D;
}

/** Moves a host batch onto the backend (inside the caller's tidy scope). */
export function toTensors(batch: Batch): BatchTensors {
  const tokens = tf.tensor2d(batch.tokens.subarray(0, batch.size * batch.seqLen), [batch.size, batch.seqLen], 'int32');
  const labels = tf.tensor1d(batch.labels.subarray(0, batch.size), 'int32');
  if (!batch.tokens2) return { tokens, labels };
  const tokens2 = tf.tensor2d(batch.tokens2.subarray(0, batch.size * batch.seqLen), [batch.size, batch.seqLen], 'int32');
  return { tokens, tokens2, labels };
}
