import { TokenColumn } from './tokens/token-column.js';
import type { ReadReport, SplitData, SplitName, SplitSink } from './types.js';

/** A growable Int32Array: amortised appends, then one exact-size copy at the end. */
class Int32Growable {
  data: Int32Array;
  length = 0;

  constructor(capacity: number) {
    this.data = new Int32Array(Math.max(16, capacity));
  }

  reserve(extra: number): void {
    const needed = this.length + extra;
    // Offsets into the flat token array are Int32 (as in Arrow's List type).
    if (needed > 0x7fffffff) throw new Error('a split holds at most 2^31 - 1 tokens per document column');
    if (needed <= this.data.length) return;
    const next = new Int32Array(Math.max(needed, Math.ceil(this.data.length * 1.5)));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }

  push(v: number): void {
    this.reserve(1);
    this.data[this.length++] = v;
  }

  append(values: Int32Array): void {
    this.reserve(values.length);
    this.data.set(values, this.length);
    this.length += values.length;
  }

  /** The filled part; copies only when the buffer is larger than what it holds. */
  finish(): Int32Array {
    return this.length === this.data.length ? this.data : this.data.slice(0, this.length);
  }
}

/**
 * Collects a split's examples in memory into the flat `SplitData` layout, truncating each
 * document to `seqLen` as it is added.
 */
export class SplitDataBuilder implements SplitSink {
  private readonly offsets = new Int32Growable(1024);
  private readonly tokens = new Int32Growable(1 << 20);
  private readonly labels = new Int32Growable(1024);
  private readonly offsets2: Int32Growable | null;
  private readonly tokens2: Int32Growable | null;
  private skippedRows = 0;

  constructor(
    readonly task: string,
    readonly split: SplitName,
    readonly seqLen: number,
    readonly pair = false,
  ) {
    if (!Number.isInteger(seqLen) || seqLen < 1) throw new Error(`seqLen must be a positive integer, got ${seqLen}`);
    this.offsets.push(0);
    this.offsets2 = pair ? new Int32Growable(1024) : null;
    this.tokens2 = pair ? new Int32Growable(1 << 20) : null;
    this.offsets2?.push(0);
  }

  get count(): number {
    return this.labels.length;
  }

  get skipped(): number {
    return this.skippedRows;
  }

  /** Adds one example; `tokens` (and `tokens2`) are copied, so the caller may reuse them. */
  add(tokens: Int32Array, label: number, tokens2?: Int32Array): void {
    checkPair(this.pair, tokens2);
    this.tokens.append(tokens.length > this.seqLen ? tokens.subarray(0, this.seqLen) : tokens);
    this.offsets.push(this.tokens.length);
    if (tokens2 !== undefined && this.tokens2 !== null && this.offsets2 !== null) {
      this.tokens2.append(tokens2.length > this.seqLen ? tokens2.subarray(0, this.seqLen) : tokens2);
      this.offsets2.push(this.tokens2.length);
    }
    this.labels.push(label);
  }

  skip(): void {
    this.skippedRows++;
  }

  finish(report: ReadReport = {}): SplitData {
    const data: SplitData = {
      task: this.task,
      split: this.split,
      count: this.labels.length,
      seqLen: this.seqLen,
      documents: TokenColumn.flat(this.offsets.finish(), this.tokens.finish()),
      labels: this.labels.finish(),
      skipped: this.skippedRows,
    };
    if (this.offsets2 !== null && this.tokens2 !== null) data.documents2 = TokenColumn.flat(this.offsets2.finish(), this.tokens2.finish());
    if (report.dropped !== undefined) data.dropped = report.dropped;
    if (report.sources !== undefined) data.sources = report.sources;
    return data;
  }
}

export function checkPair(pair: boolean, tokens2: Int32Array | undefined): void {
  if (pair !== (tokens2 !== undefined)) {
    throw new Error(pair ? 'a pair task needs a second document' : 'a single-document task got two documents');
  }
}

/** Runs a row reader over an in-memory builder: the split it read, with its sources. */
export async function collectSplit(builder: SplitDataBuilder, read: (sink: SplitSink) => Promise<ReadReport>): Promise<SplitData> {
  return builder.finish(await read(builder));
}
