import seedrandom from 'seedrandom';
import type { Batch } from '@lra/data';

/**
 * A batch of full-length random tokens (no padding) and random labels: the check measures
 * memory and time, which depend on shapes, not on the data, and full-length rows are a task's
 * worst case. It needs no download and no 200,000-image generation.
 */
export function syntheticBatch(opts: { size: number; seqLen: number; vocabSize: number; numClasses: number; pair: boolean; seed: string }): Batch {
  const random = seedrandom(opts.seed);
  const tokens = (): Int32Array => Int32Array.from({ length: opts.size * opts.seqLen }, () => 1 + Math.floor(random() * (opts.vocabSize - 1)));
  const batch: Batch = {
    size: opts.size,
    seqLen: opts.seqLen,
    tokens: tokens(),
    labels: Int32Array.from({ length: opts.size }, () => Math.floor(random() * opts.numClasses)),
    indices: Int32Array.from({ length: opts.size }, (_, i) => i),
    lengths: new Int32Array(opts.size).fill(opts.seqLen),
  };
  if (opts.pair) {
    batch.tokens2 = tokens();
    batch.lengths2 = new Int32Array(opts.size).fill(opts.seqLen);
  }
  return batch;
}
