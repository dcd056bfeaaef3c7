import type { Batch } from '@lra/data';

/** Examples offset .. offset + size - 1 of a batch, as a batch of their own (views, no copies). */
export function sliceBatch(batch: Batch, offset: number, size: number): Batch {
  const rows = (a: Int32Array): Int32Array => a.subarray(offset * batch.seqLen, (offset + size) * batch.seqLen);
  const out: Batch = {
    size,
    seqLen: batch.seqLen,
    tokens: rows(batch.tokens),
    labels: batch.labels.subarray(offset, offset + size),
    indices: batch.indices.subarray(offset, offset + size),
  };
  if (batch.tokens2) out.tokens2 = rows(batch.tokens2);
  if (batch.lengths) out.lengths = batch.lengths.subarray(offset, offset + size);
  if (batch.lengths2) out.lengths2 = batch.lengths2.subarray(offset, offset + size);
  return out;
}

/** The (offset, size) of each micro-batch of a batch of `size` examples, at most `microBatch` each. */
export function microBatchSlices(size: number, microBatch: number): Array<{ offset: number; size: number }> {
  if (!(Number.isInteger(microBatch) && microBatch > 0)) throw new Error(`micro-batch must be a positive integer, got ${microBatch}`);
  const slices: Array<{ offset: number; size: number }> = [];
  for (let offset = 0; offset < size; offset += microBatch) slices.push({ offset, size: Math.min(microBatch, size - offset) });
  return slices;
}
