import seedrandom from 'seedrandom';
import type { SplitData } from './types.js';

/**
 * A batch of examples padded (with 0) or truncated to `seqLen`, row-major [size, seqLen].
 * Every array is freshly allocated and belongs to the caller.
 */
export interface Batch {
  size: number;
  seqLen: number;
  tokens: Int32Array;
  labels: Int32Array;
  /** The second documents of a pair task, laid out like `tokens`. */
  tokens2?: Int32Array;
  /**
   * Unpadded length of each row (after truncation to seqLen), for padding masks. Always set by
   * this package's batchers; optional so that hand-made batches (benchmarks) may leave it out.
   */
  lengths?: Int32Array;
  lengths2?: Int32Array;
  /** Example ids (row numbers in the split). */
  indices: Int32Array;
}

/** What this package's batchers return: a Batch whose row lengths are always there. */
export type BatchWithLengths = Batch & { lengths: Int32Array };

export interface BatchOptions {
  batchSize: number;
  seqLen: number;
}

export interface SeededBatchOptions extends BatchOptions {
  seed: number | string;
  shuffle?: boolean | undefined;
  dropRemainder?: boolean | undefined;
}

function checkBatchOptions({ batchSize, seqLen }: BatchOptions): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(seqLen) || seqLen < 1) throw new Error(`seqLen must be a positive integer, got ${seqLen}`);
}

/** Copies rows `indices` of a split into a new padded batch. */
export function gatherBatch(data: SplitData, indices: Int32Array, seqLen: number): BatchWithLengths {
  const size = indices.length;
  const fill = (offsets: Int32Array, tokens: Int32Array): { tokens: Int32Array; lengths: Int32Array } => {
    const out = new Int32Array(size * seqLen);
    const lengths = new Int32Array(size);
    for (let row = 0; row < size; row++) {
      const i = indices[row]!;
      const start = offsets[i]!;
      const n = Math.min(offsets[i + 1]! - start, seqLen);
      out.set(tokens.subarray(start, start + n), row * seqLen);
      lengths[row] = n;
    }
    return { tokens: out, lengths };
  };
  const first = fill(data.offsets, data.tokens);
  const labels = new Int32Array(size);
  for (let row = 0; row < size; row++) labels[row] = data.labels[indices[row]!]!;
  const batch: BatchWithLengths = { size, seqLen, tokens: first.tokens, labels, lengths: first.lengths, indices };
  if (data.tokens2 !== undefined && data.offsets2 !== undefined) {
    const second = fill(data.offsets2, data.tokens2);
    batch.tokens2 = second.tokens;
    batch.lengths2 = second.lengths;
  }
  return batch;
}

/**
 * Training batches addressed by global step: epoch e = floor(step / batchesPerEpoch) visits the
 * examples in a Fisher-Yates permutation seeded by (seed, e), so batch k is the same whether a
 * run got there without stopping or resumed at step k.
 */
export class SeededBatcher {
  readonly batchesPerEpoch: number;
  readonly batchSize: number;
  readonly seqLen: number;
  readonly seed: number | string;
  readonly shuffle: boolean;
  readonly dropRemainder: boolean;
  private cachedEpoch = -1;
  private cachedOrder: Int32Array = new Int32Array(0);

  constructor(
    readonly data: SplitData,
    { batchSize, seqLen, seed, shuffle = true, dropRemainder = true }: SeededBatchOptions,
  ) {
    checkBatchOptions({ batchSize, seqLen });
    this.batchSize = batchSize;
    this.seqLen = seqLen;
    this.seed = seed;
    this.shuffle = shuffle;
    this.dropRemainder = dropRemainder;
    this.batchesPerEpoch = dropRemainder ? Math.floor(data.count / batchSize) : Math.ceil(data.count / batchSize);
    if (this.batchesPerEpoch === 0) {
      throw new Error(`${data.task} ${data.split}: ${data.count} examples make no batch of ${batchSize}`);
    }
  }

  /** The order in which epoch `epoch` visits the examples. */
  epochOrder(epoch: number): Int32Array {
    if (epoch === this.cachedEpoch) return this.cachedOrder;
    const n = this.data.count;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    if (this.shuffle) {
      const random = seedrandom(`batches:${String(this.seed)}:${epoch}`);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
    }
    this.cachedEpoch = epoch;
    this.cachedOrder = order;
    return order;
  }

  batchAt(step: number): BatchWithLengths {
    if (!Number.isInteger(step) || step < 0) throw new Error(`step must be a non-negative integer, got ${step}`);
    const epoch = Math.floor(step / this.batchesPerEpoch);
    const k = step - epoch * this.batchesPerEpoch;
    const start = k * this.batchSize;
    const end = Math.min(start + this.batchSize, this.data.count);
    return gatherBatch(this.data, this.epochOrder(epoch).slice(start, end), this.seqLen);
  }
}

/** Evaluation batches in file order; the last one holds the remainder. */
export function* evalBatches(data: SplitData, options: BatchOptions): Generator<BatchWithLengths> {
  checkBatchOptions(options);
  for (let start = 0; start < data.count; start += options.batchSize) {
    const end = Math.min(start + options.batchSize, data.count);
    const indices = new Int32Array(end - start);
    for (let i = 0; i < indices.length; i++) indices[i] = start + i;
    yield gatherBatch(data, indices, options.seqLen);
  }
}
