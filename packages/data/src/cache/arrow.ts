import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import {
  Field,
  FixedSizeList,
  Int32,
  List,
  RecordBatch,
  RecordBatchFileWriter,
  RecordBatchReader,
  Schema,
  Struct,
  Table,
  Uint16,
  Uint8,
  makeData,
  tableFromIPC,
  type Data,
  type DataType,
} from 'apache-arrow';
import { CacheError } from '../errors.js';
import { writeFileAtomicWith, type AtomicFileWriter } from '../io/atomic.js';
import { STORED_ID_SHIFT, encodeIds, tokenStorageFor, type TokenStorage } from '../tokens/storage.js';
import { TokenColumn, type TokenArray, type TokenChunk } from '../tokens/token-column.js';
import { splitNames, type SplitData, type SplitName } from '../types.js';

/**
 * Written into every split file's schema metadata; a reader refuses any other value.
 * v2: ids stored as id - 1 in the narrowest unsigned type of the vocabulary, fixed-length
 * columns as FixedSizeList (no offsets), splits sharded over several files.
 */
export const SPLIT_FILE_FORMAT = 'lra-split-v2';

/**
 * Rows go into record batches of at most this many tokens per document column, so that one
 * batch's buffers stay far below the 2 GiB a Node.js read can return.
 */
const DEFAULT_MAX_BATCH_TOKENS = 1 << 28;

/**
 * Files up to this size are read in one piece and parsed in place (no copy). Larger ones exceed
 * what one Node.js read or Buffer can hold, so they are read one record batch at a time. Caches
 * written by `prepareTask` never have such files (they are sharded well below it).
 */
export const WHOLE_FILE_READ_LIMIT = 1 << 30;

export interface WriteSplitOptions {
  vocabVersion?: string | undefined;
  /** Ids are 1..vocabSize - 1 and stored in the narrowest type for that; by default the largest id + 1. */
  vocabSize?: number | undefined;
  maxBatchTokens?: number | undefined;
  /** Index in the whole split of this file's first row, for a shard (0 when absent). */
  firstRow?: number | undefined;
}

function arrowTypeOf(storage: TokenStorage): Uint8 | Uint16 | Int32 {
  return storage.type === 'uint8' ? new Uint8() : storage.type === 'uint16' ? new Uint16() : new Int32();
}

/** The width every row of `column` has, or 0 when lengths differ (or there are no rows). */
function commonWidth(column: TokenColumn): number {
  if (column.count === 0) return 0;
  const width = column.length(0);
  for (let i = 1; i < column.count; i++) if (column.length(i) !== width) return 0;
  return width;
}

/** How one document column is laid out in a file: a list per row, or fixed-size lists. */
interface ColumnLayout {
  storage: TokenStorage;
  /** The vocabulary's largest id. */
  maxId: number;
  /** Every row's length, for FixedSizeList; 0 for List. */
  width: number;
  type: DataType;
}

function columnLayout(column: TokenColumn, storage: TokenStorage, maxId: number): ColumnLayout {
  const width = commonWidth(column);
  const item = new Field('item', arrowTypeOf(storage), false);
  return { storage, maxId, width, type: width > 0 ? new FixedSizeList(width, item) : new List(item) };
}

const arrayTypes = { uint8: Uint8Array, uint16: Uint16Array, int32: Int32Array } as const;

/**
 * Rows [start, end) as views when the column already holds them as stored values of this
 * storage in one chunk (a shard being written, or a split read from a cache): nothing is copied.
 */
function storedViews(column: TokenColumn, start: number, end: number, layout: ColumnLayout): { offsets: Int32Array | null; values: TokenArray } | null {
  const chunk = column.chunks.length === 1 ? column.chunks[0]! : null;
  if (chunk === null || chunk.shift !== STORED_ID_SHIFT || !(chunk.values instanceof arrayTypes[layout.storage.type])) return null;
  if (chunk.offsets === null) {
    if (layout.width !== chunk.width) return null;
    return { offsets: null, values: chunk.values.subarray(start * chunk.width, end * chunk.width) };
  }
  const base = chunk.offsets[start]!;
  const values = chunk.values.subarray(base, chunk.offsets[end]);
  if (layout.width > 0) return { offsets: null, values };
  const offsets = base === 0 ? chunk.offsets.subarray(start, end + 1) : chunk.offsets.slice(start, end + 1).map((o) => o - base);
  return { offsets, values };
}

/** Rows [start, end) of a column as stored values (id - 1), with offsets from 0 unless fixed-width. */
function encodeRows(
  column: TokenColumn,
  start: number,
  end: number,
  layout: ColumnLayout,
): { offsets: Int32Array | null; values: TokenArray } {
  const views = storedViews(column, start, end, layout);
  if (views !== null) return views;
  let total = 0;
  for (let i = start; i < end; i++) total += column.length(i);
  const values = layout.storage.allocate(total);
  const offsets = layout.width > 0 ? null : new Int32Array(end - start + 1);
  let scratch = new Int32Array(256);
  let at = 0;
  for (let i = start; i < end; i++) {
    const n = column.length(i);
    if (n > scratch.length) scratch = new Int32Array(Math.max(n, scratch.length * 2));
    column.copyRow(i, scratch, 0, n);
    encodeIds(scratch.subarray(0, n), values, at, layout.maxId);
    at += n;
    if (offsets !== null) offsets[i - start + 1] = at;
  }
  return { offsets, values };
}

function columnData(layout: ColumnLayout, rows: number, encoded: { offsets: Int32Array | null; values: TokenArray }): Data {
  const child = makeData({ type: arrowTypeOf(layout.storage), length: encoded.values.length, nullCount: 0, data: encoded.values });
  return encoded.offsets === null
    ? makeData({ type: layout.type as FixedSizeList, length: rows, nullCount: 0, child })
    : makeData({ type: layout.type as List, length: rows, nullCount: 0, valueOffsets: encoded.offsets, child });
}

/** Row ranges [start, end) whose token columns each hold at most maxTokens (one row at least). */
function batchRanges(data: SplitData, maxTokens: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let start = 0;
  while (start < data.count || ranges.length === 0) {
    let end = start;
    let n1 = 0;
    let n2 = 0;
    while (end < data.count) {
      const a = data.documents.length(end);
      const b = data.documents2?.length(end) ?? 0;
      if (end > start && (n1 + a > maxTokens || n2 + b > maxTokens)) break;
      n1 += a;
      n2 += b;
      end++;
    }
    ranges.push([start, end]);
    start = end;
    if (data.count === 0) break;
  }
  return ranges;
}

function checkSplitData(data: SplitData): void {
  const { count, labels } = data;
  if (data.documents.count !== count || labels.length !== count) {
    throw new Error(`split data of ${data.task}/${data.split}: ${count} rows but ${data.documents.count} documents and ${labels.length} labels`);
  }
  if (data.documents2 !== undefined && data.documents2.count !== count) {
    throw new Error(`split data of ${data.task}/${data.split}: ${count} rows but ${data.documents2.count} second documents`);
  }
}

/**
 * The split as an Arrow table: `tokens` and, for pair tasks, `tokens2` hold each row's ids
 * minus 1 in the narrowest unsigned type of the vocabulary (`List<Uint8>`, or
 * `FixedSizeList[n]<Uint8>` when every row is n long, as for images), and `label: Int32`.
 */
export function splitToTable(data: SplitData, opts: WriteSplitOptions = {}): Table {
  checkSplitData(data);
  const vocabSize = opts.vocabSize ?? Math.max(2, data.documents.largestId() + 1, (data.documents2?.largestId() ?? 0) + 1);
  const storage = tokenStorageFor(vocabSize);
  const layout = columnLayout(data.documents, storage, vocabSize - 1);
  const layout2 = data.documents2 === undefined ? null : columnLayout(data.documents2, storage, vocabSize - 1);
  const fields = [new Field('tokens', layout.type, false), new Field('label', new Int32(), false)];
  if (layout2 !== null) fields.push(new Field('tokens2', layout2.type, false));
  const metadata = new Map<string, string>([
    ['lra.format', SPLIT_FILE_FORMAT],
    ['lra.task', data.task],
    ['lra.split', data.split],
    ['lra.seqLen', String(data.seqLen)],
    ['lra.vocabVersion', opts.vocabVersion ?? ''],
    ['lra.vocabSize', String(vocabSize)],
    ['lra.idShift', String(STORED_ID_SHIFT)],
    ['lra.firstRow', String(opts.firstRow ?? 0)],
    ['lra.count', String(data.count)],
    ['lra.skipped', String(data.skipped)],
    ['lra.tokens', String(data.documents.totalTokens)],
  ]);
  const schema = new Schema(fields, metadata);
  const batches = batchRanges(data, opts.maxBatchTokens ?? DEFAULT_MAX_BATCH_TOKENS).map(([start, end]) => {
    const rows = end - start;
    const children: Data[] = [
      columnData(layout, rows, encodeRows(data.documents, start, end, layout)),
      makeData({ type: new Int32(), length: rows, nullCount: 0, data: data.labels.subarray(start, end) }),
    ];
    if (layout2 !== null) children.push(columnData(layout2, rows, encodeRows(data.documents2!, start, end, layout2)));
    return new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows, nullCount: 0, children }));
  });
  return new Table(schema, batches);
}

/** Streams a table into an open writer as an Arrow IPC file. */
export async function writeTableTo(out: AtomicFileWriter, table: Table): Promise<void> {
  const writer = RecordBatchFileWriter.writeAll(table);
  for await (const chunk of writer) await out.write(chunk);
}

/**
 * Writes one split as an Arrow IPC file (the random-access "file" format, which other Arrow
 * tools open), atomically, streaming it batch by batch. The bytes depend on the data only: no
 * timestamps, so the same split always gives the same file. Returns its size and SHA-256 for
 * the manifest.
 */
export async function writeSplitArrow(
  path: string,
  data: SplitData,
  opts: WriteSplitOptions = {},
): Promise<{ bytes: number; sha256: string }> {
  const table = splitToTable(data, opts);
  return writeFileAtomicWith(path, (out) => writeTableTo(out, table));
}

/** One record batch's document column as a chunk of views of the file's bytes. */
function chunkOf(path: string, d: Data, shift: number): TokenChunk {
  const child = d.children[0] as Data | undefined;
  const values = child?.values as TokenArray | undefined;
  if (child === undefined || !(values instanceof Uint8Array || values instanceof Uint16Array || values instanceof Int32Array)) {
    throw new CacheError(path, `token column of type ${String(d.type)}: expected lists of Uint8, Uint16 or Int32`);
  }
  if (d.type instanceof FixedSizeList) {
    const width = d.type.listSize;
    const from = child.offset + d.offset * width;
    return { rows: d.length, offsets: null, width, values: values.subarray(from, from + d.length * width), shift };
  }
  if (!(d.type instanceof List)) throw new CacheError(path, `token column of type ${String(d.type)}: expected a List or FixedSizeList`);
  return { rows: d.length, offsets: d.valueOffsets.subarray(d.offset, d.offset + d.length + 1), width: 0, values: values.subarray(child.offset), shift };
}

function labelsOf(chunks: Data[], count: number): Int32Array {
  const views = chunks.map((d) => (d.values as Int32Array).subarray(d.offset, d.offset + d.length));
  if (views.length === 1) return views[0]!;
  const out = new Int32Array(count);
  let at = 0;
  for (const v of views) {
    out.set(v, at);
    at += v.length;
  }
  return out;
}

/** Parses a split file's bytes (already read and, where wanted, checksummed). */
export function splitFromIPC(path: string, bytes: Uint8Array): SplitData {
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (err) {
    throw new CacheError(path, `not an Arrow IPC file (${(err as Error).message})`);
  }
  return splitFromTable(path, table);
}

/** The split a table read from `path` holds, after checking its format metadata. */
function splitFromTable(path: string, table: Table): SplitData {
  const meta = table.schema.metadata;
  const format = meta.get('lra.format');
  if (format !== SPLIT_FILE_FORMAT) {
    throw new CacheError(
      path,
      format !== undefined && format.startsWith('lra-split-')
        ? `a split file of format ${format}, this version reads ${SPLIT_FILE_FORMAT}: prepared by an older version: run lra data prepare again`
        : `not a split file of format ${SPLIT_FILE_FORMAT} (found ${JSON.stringify(format ?? null)})`,
    );
  }
  const split = meta.get('lra.split') as SplitName;
  if (!splitNames.includes(split)) throw new CacheError(path, `unknown split ${JSON.stringify(split)}`);
  const count = table.numRows;
  if (Number(meta.get('lra.count')) !== count) {
    throw new CacheError(path, `metadata says ${meta.get('lra.count')} rows, the table has ${count}`);
  }
  const shift = Number(meta.get('lra.idShift'));
  if (!Number.isInteger(shift)) throw new CacheError(path, `metadata lra.idShift ${JSON.stringify(meta.get('lra.idShift') ?? null)} is not an integer`);
  const column = (name: string): Data[] | null => {
    const vector = table.getChild(name);
    return vector === null ? null : (vector.data as Data[]);
  };
  const tokensChunks = column('tokens');
  const labelChunks = column('label');
  if (tokensChunks === null || labelChunks === null) throw new CacheError(path, 'missing the tokens or label column');
  const documents = new TokenColumn(tokensChunks.map((d) => chunkOf(path, d, shift)));
  const data: SplitData = {
    task: meta.get('lra.task') ?? '',
    split,
    count,
    seqLen: Number(meta.get('lra.seqLen')),
    documents,
    labels: count === 0 ? new Int32Array(0) : labelsOf(labelChunks, count),
    skipped: Number(meta.get('lra.skipped') ?? 0),
  };
  const tokens2Chunks = column('tokens2');
  if (tokens2Chunks !== null) data.documents2 = new TokenColumn(tokens2Chunks.map((d) => chunkOf(path, d, shift)));
  if (Number(meta.get('lra.tokens')) !== documents.totalTokens) {
    throw new CacheError(path, `metadata says ${meta.get('lra.tokens')} tokens, the file holds ${documents.totalTokens}`);
  }
  return data;
}

/**
 * One split from its shard files, read in order: the rows of all of them, each file's record
 * batches kept as chunks (views of that file's bytes), the labels in one array.
 */
export function joinSplitShards(shards: readonly SplitData[]): SplitData {
  if (shards.length === 0) throw new Error('a split has at least one file');
  if (shards.length === 1) return shards[0]!;
  const first = shards[0]!;
  const count = shards.reduce((n, s) => n + s.count, 0);
  const labels = new Int32Array(count);
  let at = 0;
  for (const s of shards) {
    labels.set(s.labels, at);
    at += s.count;
  }
  const data: SplitData = {
    task: first.task,
    split: first.split,
    count,
    seqLen: first.seqLen,
    documents: new TokenColumn(shards.flatMap((s) => s.documents.chunks)),
    labels,
    skipped: shards[shards.length - 1]!.skipped,
  };
  if (first.documents2 !== undefined) data.documents2 = new TokenColumn(shards.flatMap((s) => s.documents2?.chunks ?? []));
  return data;
}

/**
 * Reads one split file (a whole split, or one shard of it). Its token chunks and labels are views
 * of the file's bytes, read in one piece, no copy; `expectedSha256` checks the bytes on the way.
 */
export async function readSplitArrow(
  path: string,
  expectedSha256?: string,
  wholeFileLimit = WHOLE_FILE_READ_LIMIT,
): Promise<SplitData> {
  const cannotRead = (err: unknown): CacheError =>
    new CacheError(path, `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  const checkSum = (actual: string): void => {
    if (expectedSha256 !== undefined && actual !== expectedSha256) {
      throw new CacheError(path, `checksum mismatch: sha256 ${actual}, manifest says ${expectedSha256}`);
    }
  };
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw cannotRead(err);
  }
  if (size > wholeFileLimit) {
    if (expectedSha256 !== undefined) checkSum(await sha256OfFile(path).catch((err: unknown) => Promise.reject(cannotRead(err))));
    return splitFromTable(path, await readTableByBatches(path));
  }
  let bytes: Buffer;
  try {
    if (expectedSha256 === undefined) {
      bytes = await readFile(path);
    } else {
      const read = await readHashing(path, size);
      bytes = read.bytes;
      checkSum(read.sha256);
    }
  } catch (err) {
    throw err instanceof CacheError ? err : cannotRead(err);
  }
  return splitFromIPC(path, bytes);
}

const READ_CHUNK = 1 << 24;

/**
 * Reads a whole file while hashing it: each chunk is hashed while the next one is being read,
 * so checking the checksum costs little more than reading (it halves the time to load a
 * 400 MB split compared with reading, then hashing).
 */
async function readHashing(path: string, size: number): Promise<{ bytes: Buffer; sha256: string }> {
  const bytes = Buffer.allocUnsafe(size);
  const hash = createHash('sha256');
  const handle = await open(path, 'r');
  try {
    const readAt = async (at: number): Promise<number> => {
      let done = 0;
      const n = Math.min(READ_CHUNK, size - at);
      while (done < n) {
        const { bytesRead } = await handle.read(bytes, at + done, n - done, at + done);
        if (bytesRead === 0) throw new Error(`the file ended at byte ${at + done} of ${size}`);
        done += bytesRead;
      }
      return n;
    };
    let at = 0;
    let pending = size > 0 ? readAt(0) : null;
    while (pending !== null) {
      const n = await pending;
      const next = at + n;
      pending = next < size ? readAt(next) : null;
      hash.update(bytes.subarray(at, next));
      at = next;
    }
  } finally {
    await handle.close();
  }
  return { bytes, sha256: hash.digest('hex') };
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 24 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A split file read one record batch at a time through a file handle. */
async function readTableByBatches(path: string): Promise<Table> {
  const handle = await open(path, 'r');
  try {
    const reader = await RecordBatchReader.from(handle);
    await reader.open();
    if (!reader.isFile()) throw new Error('an Arrow stream, not a file');
    const batches: RecordBatch[] = [];
    for (let i = 0; i < reader.numRecordBatches; i++) {
      const batch = await reader.readRecordBatch(i);
      if (batch !== null) batches.push(batch);
    }
    return batches.length === 0 ? new Table(reader.schema) : new Table(batches);
  } catch (err) {
    throw err instanceof CacheError ? err : new CacheError(path, `not an Arrow IPC file (${(err as Error).message})`);
  } finally {
    await handle.close();
  }
}
