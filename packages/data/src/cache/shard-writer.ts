import { join } from 'node:path';
import { AtomicFileWriter } from '../io/atomic.js';
import { checkPair } from '../split-builder.js';
import { STORED_ID_SHIFT, encodeIds, tokenStorageFor, type TokenStorage } from '../tokens/storage.js';
import { TokenColumn, type TokenArray } from '../tokens/token-column.js';
import type { SplitData, SplitName, SplitSink } from '../types.js';
import { splitToTable, writeTableTo } from './arrow.js';

/**
 * Bytes of token storage per shard file (all document columns together): 256 MiB, so that every
 * file is read in one piece (one Node.js read holds at most 2 GiB) and no Arrow buffer comes near
 * 2^31 elements. Path-X's training split (2.1G one-byte ids) becomes 8 files.
 */
export const DEFAULT_SHARD_BYTES = 1 << 28;

export interface ShardedSplitOptions {
  /** The cache folder the shard files go to. */
  dir: string;
  task: string;
  split: SplitName;
  seqLen: number;
  pair: boolean;
  /** Ids are 1..vocabSize - 1; decides the storage type (Uint8 up to 257). */
  vocabSize: number;
  vocabVersion: string;
  /** Bytes of token storage per shard (DEFAULT_SHARD_BYTES when absent). */
  shardBytes?: number | undefined;
}

/** One written shard file, sealed under a temporary name until `publish`. */
export interface WrittenShard {
  rows: number;
  /** Ids in the first document column (the manifest's count). */
  tokens: number;
  bytes: number;
  sha256: string;
}

/** The name of shard `k` of `n` of a split: `train.arrow` when there is one. */
export function shardFileName(split: SplitName, k: number, n: number): string {
  const pad = (i: number): string => String(i).padStart(5, '0');
  return n === 1 ? `${split}.arrow` : `${split}-${pad(k)}-of-${pad(n)}.arrow`;
}

/** A growable array of stored ids of one storage type. */
class StoredIds {
  values: TokenArray;
  length = 0;

  constructor(
    private readonly storage: TokenStorage,
    capacity: number,
    /** Growth stops here (one shard); only a single row longer than that goes past it. */
    private readonly limit: number,
    /** The vocabulary's largest id: anything above is refused rather than stored. */
    private readonly maxId: number,
  ) {
    this.values = storage.allocate(capacity);
  }

  append(ids: Int32Array): void {
    const needed = this.length + ids.length;
    if (needed > this.values.length) {
      const next = this.storage.allocate(Math.max(needed, Math.min(this.values.length * 2, this.limit)));
      next.set(this.values.subarray(0, this.length));
      this.values = next;
    }
    encodeIds(ids, this.values, this.length, this.maxId);
    this.length = needed;
  }
}

/** One document column of the shard being filled. */
class ShardColumn {
  ids: StoredIds;
  offsets: Int32Array;
  /** The largest buffer it has allocated, in ids. */
  peakCapacity: number;

  constructor(storage: TokenStorage, initialCapacity: number, limit: number, maxId: number) {
    this.ids = new StoredIds(storage, initialCapacity, limit, maxId);
    this.offsets = new Int32Array(1025);
    this.peakCapacity = initialCapacity;
  }

  add(row: number, ids: Int32Array): void {
    this.ids.append(ids);
    if (row + 2 > this.offsets.length) {
      const next = new Int32Array(this.offsets.length * 2);
      next.set(this.offsets);
      this.offsets = next;
    }
    this.offsets[row + 1] = this.ids.length;
    this.peakCapacity = Math.max(this.peakCapacity, this.ids.values.length);
  }

  /** The filled rows as a column of stored ids (views, no copy). */
  column(rows: number): TokenColumn {
    return TokenColumn.flat(this.offsets.subarray(0, rows + 1), this.ids.values.subarray(0, this.ids.length), STORED_ID_SHIFT);
  }

  reset(): void {
    // The buffer is kept for the next shard: it never grows past one shard (plus a row).
    this.ids.length = 0;
  }
}

/**
 * A sink that writes a split to shard files as its rows arrive: rows collect in one buffer of
 * stored ids (the narrowest type of the vocabulary) until the next would take it past the shard
 * size, then the shard is written as one Arrow file (one record batch) and the buffer reused. So
 * preparing a split holds at most one shard of ids, whatever its size. Files are sealed under
 * temporary names; `publish` renames them to their final names once the whole task was read,
 * `abort` removes them.
 */
export class ShardedSplitWriter implements SplitSink {
  readonly task: string;
  readonly split: SplitName;
  readonly seqLen: number;
  readonly storage: TokenStorage;
  /** Ids per document column per shard. */
  readonly shardTokens: number;
  private readonly first: ShardColumn;
  private readonly second: ShardColumn | null;
  private readonly allLabels: number[] = [];
  private shardRows = 0;
  private skippedRows = 0;
  private readonly written: Array<{ writer: AtomicFileWriter; shard: WrittenShard }> = [];
  private finished = false;

  constructor(private readonly opts: ShardedSplitOptions) {
    this.task = opts.task;
    this.split = opts.split;
    this.seqLen = opts.seqLen;
    this.storage = tokenStorageFor(opts.vocabSize);
    const shardBytes = opts.shardBytes ?? DEFAULT_SHARD_BYTES;
    if (!Number.isInteger(shardBytes) || shardBytes < 1) throw new Error(`shardBytes must be a positive integer, got ${shardBytes}`);
    this.shardTokens = Math.max(1, Math.floor(shardBytes / this.storage.bytesPerToken / (opts.pair ? 2 : 1)));
    const initial = Math.min(this.shardTokens, 1 << 20);
    this.first = new ShardColumn(this.storage, initial, this.shardTokens, opts.vocabSize - 1);
    this.second = opts.pair ? new ShardColumn(this.storage, initial, this.shardTokens, opts.vocabSize - 1) : null;
  }

  get count(): number {
    return this.allLabels.length;
  }

  get skipped(): number {
    return this.skippedRows;
  }

  /** The largest id buffer allocated so far, in ids per column: what preparing holds in memory. */
  get peakBufferTokens(): number {
    return Math.max(this.first.peakCapacity, this.second?.peakCapacity ?? 0);
  }

  async add(tokens: Int32Array, label: number, tokens2?: Int32Array): Promise<void> {
    checkPair(this.second !== null, tokens2);
    const a = tokens.length > this.seqLen ? tokens.subarray(0, this.seqLen) : tokens;
    const b = tokens2 === undefined || tokens2.length <= this.seqLen ? tokens2 : tokens2.subarray(0, this.seqLen);
    const full =
      this.first.ids.length + a.length > this.shardTokens || (this.second !== null && this.second.ids.length + b!.length > this.shardTokens);
    if (this.shardRows > 0 && full) await this.flush();
    this.first.add(this.shardRows, a);
    this.second?.add(this.shardRows, b!);
    this.shardRows++;
    this.allLabels.push(label);
  }

  skip(): void {
    this.skippedRows++;
  }

  /** Writes the rows collected since the last shard as one sealed shard file. */
  private async flush(): Promise<void> {
    const rows = this.shardRows;
    const firstRow = this.allLabels.length - rows;
    const data: SplitData = {
      task: this.task,
      split: this.split,
      count: rows,
      seqLen: this.seqLen,
      documents: this.first.column(rows),
      labels: Int32Array.from(this.allLabels.slice(firstRow)),
      skipped: this.skippedRows,
    };
    if (this.second !== null) data.documents2 = this.second.column(rows);
    const table = splitToTable(data, {
      vocabSize: this.opts.vocabSize,
      vocabVersion: this.opts.vocabVersion,
      maxBatchTokens: this.shardTokens,
      firstRow,
    });
    const writer = await AtomicFileWriter.open(join(this.opts.dir, shardFileName(this.split, this.written.length, this.written.length + 1)));
    try {
      await writeTableTo(writer, table);
    } catch (err) {
      await writer.abort();
      throw err;
    }
    const sums = await writer.seal();
    this.written.push({ writer, shard: { rows, tokens: data.documents.totalTokens, ...sums } });
    this.first.reset();
    this.second?.reset();
    this.shardRows = 0;
  }

  /** Writes the last shard (an empty split still gets one file); returns every shard and the labels. */
  async finish(): Promise<{ shards: WrittenShard[]; labels: Int32Array }> {
    if (this.finished) throw new Error(`${this.task} ${this.split}: finish() called twice`);
    this.finished = true;
    if (this.shardRows > 0 || this.written.length === 0) await this.flush();
    return { shards: this.written.map((w) => w.shard), labels: Int32Array.from(this.allLabels) };
  }

  /** The final file names of the shards, in order. */
  fileNames(): string[] {
    return this.written.map((_, k) => shardFileName(this.split, k, this.written.length));
  }

  /** Renames the sealed shards to their final names. */
  async publish(): Promise<void> {
    const names = this.fileNames();
    for (let k = 0; k < this.written.length; k++) await this.written[k]!.writer.publish(join(this.opts.dir, names[k]!));
  }

  /** Removes every shard file written so far (sealed or not). */
  async abort(): Promise<void> {
    for (const { writer } of this.written) await writer.abort();
  }
}
