import seedrandom from 'seedrandom';
import type { TokenColumn } from './tokens/token-column.js';
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
  /** Row width of a batch: longer rows are truncated, shorter ones padded with 0. */
  seqLen: number;
  /**
   * Pad each batch only to its longest row (at most seqLen) instead of seqLen; `Batch.seqLen`
   * says the width. Only for models whose parameters do not depend on the length.
   */
  padToLongest?: boolean | undefined;
}

export interface EvalBatchOptions extends BatchOptions {
  /** Drop the last, partial batch, as LRA's Retrieval pipeline does for every split. */
  dropRemainder?: boolean | undefined;
}

export interface SeededBatchOptions extends BatchOptions {
  seed: number | string;
  shuffle?: boolean | undefined;
  dropRemainder?: boolean | undefined;
  /**
   * Length bucketing: cut each epoch's shuffled order into windows of this many batches, sort
   * each window by length, then shuffle the order of the batches (all seeded). Batches then
   * hold rows of similar length, which saves work with `padToLongest`. 0 or absent: off.
   */
  bucketWindow?: number | undefined;
}

function checkBatchOptions({ batchSize, seqLen }: BatchOptions): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(seqLen) || seqLen < 1) throw new Error(`seqLen must be a positive integer, got ${seqLen}`);
}

/** Row i's length for bucketing: truncated to seqLen; for a pair, the longer document. */
export function rowLengths(data: SplitData, seqLen: number): Int32Array {
  const out = new Int32Array(data.count);
  const { documents, documents2 } = data;
  for (let i = 0; i < data.count; i++) {
    let n = documents.length(i);
    if (documents2 !== undefined) n = Math.max(n, documents2.length(i));
    out[i] = Math.min(n, seqLen);
  }
  return out;
}

/** The width of a batch of rows `indices` padded to its longest row (1 at least). */
function longestRow(data: SplitData, indices: Int32Array, seqLen: number): number {
  let longest = 1;
  for (const i of indices) {
    longest = Math.max(longest, data.documents.length(i));
    if (data.documents2 !== undefined) longest = Math.max(longest, data.documents2.length(i));
  }
  return Math.min(longest, seqLen);
}

/**
 * Copies rows `indices` of a split into a new batch padded with 0 to `seqLen` (or, with
 * `padToLongest`, to its longest row).
 */
export function gatherBatch(data: SplitData, indices: Int32Array, maxLen: number, padToLongest = false): BatchWithLengths {
  const size = indices.length;
  const seqLen = padToLongest ? longestRow(data, indices, maxLen) : maxLen;
  const fill = (column: TokenColumn): { tokens: Int32Array; lengths: Int32Array } => {
    const out = new Int32Array(size * seqLen);
    const lengths = new Int32Array(size);
    for (let row = 0; row < size; row++) lengths[row] = column.copyRow(indices[row]!, out, row * seqLen, seqLen);
    return { tokens: out, lengths };
  };
  const first = fill(data.documents);
  const labels = new Int32Array(size);
  for (let row = 0; row < size; row++) labels[row] = data.labels[indices[row]!]!;
  const batch: BatchWithLengths = { size, seqLen, tokens: first.tokens, labels, lengths: first.lengths, indices };
  if (data.documents2 !== undefined) {
    const second = fill(data.documents2);
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
  readonly bucketWindow: number;
  readonly padToLongest: boolean;
  private cachedEpoch = -1;
  private cachedOrder: Int32Array = new Int32Array(0);
  private lengths: Int32Array | null = null;

  constructor(
    readonly data: SplitData,
    { batchSize, seqLen, seed, shuffle = true, dropRemainder = true, bucketWindow = 0, padToLongest = false }: SeededBatchOptions,
  ) {
    checkBatchOptions({ batchSize, seqLen });
    if (!Number.isInteger(bucketWindow) || bucketWindow < 0) {
      throw new Error(`bucketWindow must be a non-negative integer (batches per window), got ${bucketWindow}`);
    }
    this.batchSize = batchSize;
    this.seqLen = seqLen;
    this.seed = seed;
    this.shuffle = shuffle;
    this.dropRemainder = dropRemainder;
    this.bucketWindow = bucketWindow;
    this.padToLongest = padToLongest;
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
    if (this.shuffle) shuffleInPlace(order, seedrandom(`batches:${String(this.seed)}:${epoch}`));
    const bucketed = this.bucketWindow > 0 ? this.bucket(order, epoch) : order;
    this.cachedEpoch = epoch;
    this.cachedOrder = bucketed;
    return bucketed;
  }

  /**
   * Sorts each window of `bucketWindow` batches by row length (ties keep their shuffled order),
   * then shuffles the order of the full batches; a partial last batch stays last.
   */
  private bucket(order: Int32Array, epoch: number): Int32Array {
    this.lengths ??= rowLengths(this.data, this.seqLen);
    const lengths = this.lengths;
    const n = order.length;
    const window = this.bucketWindow * this.batchSize;
    const sorted = new Int32Array(n);
    for (let start = 0; start < n; start += window) {
      const slice = Array.from(order.subarray(start, Math.min(start + window, n)));
      const rank = new Map(slice.map((id, pos) => [id, pos]));
      slice.sort((a, b) => lengths[a]! - lengths[b]! || rank.get(a)! - rank.get(b)!);
      sorted.set(slice, start);
    }
    const B = this.batchSize;
    const full = Math.floor(n / B);
    const batchOrder = new Int32Array(full);
    for (let i = 0; i < full; i++) batchOrder[i] = i;
    if (this.shuffle) shuffleInPlace(batchOrder, seedrandom(`buckets:${String(this.seed)}:${epoch}`));
    const out = new Int32Array(n);
    for (let p = 0; p < full; p++) out.set(sorted.subarray(batchOrder[p]! * B, (batchOrder[p]! + 1) * B), p * B);
    out.set(sorted.subarray(full * B), full * B);
    return out;
  }

  batchAt(step: number): BatchWithLengths {
    if (!Number.isInteger(step) || step < 0) throw new Error(`step must be a non-negative integer, got ${step}`);
    const epoch = Math.floor(step / this.batchesPerEpoch);
    const k = step - epoch * this.batchesPerEpoch;
    const start = k * this.batchSize;
    const end = Math.min(start + this.batchSize, this.data.count);
    return gatherBatch(this.data, this.epochOrder(epoch).slice(start, end), this.seqLen, this.padToLongest);
  }
}

function shuffleInPlace(values: Int32Array, random: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = values[i]!;
    values[i] = values[j]!;
    values[j] = t;
  }
}

/** Evaluation batches in file order; the last one holds the remainder unless dropRemainder. */
export function* evalBatches(data: SplitData, options: EvalBatchOptions): Generator<BatchWithLengths> {
  checkBatchOptions(options);
  const end = options.dropRemainder ? data.count - (data.count % options.batchSize) : data.count;
  for (let start = 0; start < end; start += options.batchSize) {
    const stop = Math.min(start + options.batchSize, end);
    const indices = new Int32Array(stop - start);
    for (let i = 0; i < indices.length; i++) indices[i] = start + i;
    yield gatherBatch(data, indices, options.seqLen, options.padToLongest ?? false);
  }
}
