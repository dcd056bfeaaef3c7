import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import {
  Field,
  Int32,
  List,
  RecordBatch,
  RecordBatchFileWriter,
  RecordBatchReader,
  Schema,
  Struct,
  Table,
  makeData,
  tableFromIPC,
  type Data,
} from 'apache-arrow';
import { CacheError } from '../errors.js';
import { writeFileAtomicWith } from '../io/atomic.js';
import { splitNames, type SplitData, type SplitName } from '../types.js';

/** Written into every split file's schema metadata; a reader refuses any other value. */
export const SPLIT_FILE_FORMAT = 'lra-split-v1';

/**
 * Rows go into record batches of at most this many tokens per document column, so that one
 * batch's buffers stay far below the 2 GiB a Node.js read can return.
 */
const DEFAULT_MAX_BATCH_TOKENS = 1 << 28;

/**
 * Files up to this size are read in one piece and parsed in place (no copy). Larger ones (the
 * Retrieval train split is about 4.7 GB) exceed what one Node.js read or Buffer can hold, so
 * they are read one record batch at a time.
 */
export const WHOLE_FILE_READ_LIMIT = 1 << 30;

export interface WriteSplitOptions {
  vocabVersion?: string | undefined;
  maxBatchTokens?: number | undefined;
}

const tokenListType = (): List<Int32> => new List(new Field('item', new Int32(), false));

function tokenListData(offsets: Int32Array, tokens: Int32Array, start: number, end: number): Data<List<Int32>> {
  const base = offsets[start]!;
  // A batch over the whole split uses the arrays as they are; later batches rebase their offsets.
  const valueOffsets = base === 0 ? offsets.subarray(start, end + 1) : offsets.slice(start, end + 1).map((o) => o - base);
  const child = makeData({ type: new Int32(), length: offsets[end]! - base, nullCount: 0, data: tokens.subarray(base, offsets[end]) });
  return makeData({ type: tokenListType(), length: end - start, nullCount: 0, valueOffsets, child });
}

/** Row ranges [start, end) whose token columns each hold at most maxTokens (one row at least). */
function batchRanges(data: SplitData, maxTokens: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let start = 0;
  while (start < data.count || ranges.length === 0) {
    let end = start + 1;
    const fits = (e: number): boolean =>
      data.offsets[e]! - data.offsets[start]! <= maxTokens &&
      (data.offsets2 === undefined || data.offsets2[e]! - data.offsets2[start]! <= maxTokens);
    while (end < data.count && fits(end + 1)) end++;
    ranges.push([start, Math.min(end, data.count)]);
    start = end;
  }
  return ranges;
}

function checkSplitData(data: SplitData): void {
  const { count, offsets, tokens, labels } = data;
  if (offsets.length !== count + 1 || labels.length !== count) {
    throw new Error(`split data of ${data.task}/${data.split}: ${count} rows but ${offsets.length} offsets and ${labels.length} labels`);
  }
  if (offsets[0] !== 0 || offsets[count] !== tokens.length) {
    throw new Error(`split data of ${data.task}/${data.split}: offsets do not span the ${tokens.length} tokens`);
  }
  if ((data.tokens2 === undefined) !== (data.offsets2 === undefined)) {
    throw new Error(`split data of ${data.task}/${data.split}: tokens2 and offsets2 go together`);
  }
  if (data.offsets2 !== undefined && (data.offsets2.length !== count + 1 || data.offsets2[count] !== data.tokens2!.length)) {
    throw new Error(`split data of ${data.task}/${data.split}: offsets2 do not span tokens2`);
  }
}

/** The split as an Arrow table: `tokens: List<Int32>`, `label: Int32`, and `tokens2` for pair tasks. */
export function splitToTable(data: SplitData, opts: WriteSplitOptions = {}): Table {
  checkSplitData(data);
  const fields = [new Field('tokens', tokenListType(), false), new Field('label', new Int32(), false)];
  if (data.tokens2 !== undefined) fields.push(new Field('tokens2', tokenListType(), false));
  const metadata = new Map<string, string>([
    ['lra.format', SPLIT_FILE_FORMAT],
    ['lra.task', data.task],
    ['lra.split', data.split],
    ['lra.seqLen', String(data.seqLen)],
    ['lra.vocabVersion', opts.vocabVersion ?? ''],
    ['lra.count', String(data.count)],
    ['lra.skipped', String(data.skipped)],
    ['lra.tokens', String(data.tokens.length)],
  ]);
  const schema = new Schema(fields, metadata);
  const batches = batchRanges(data, opts.maxBatchTokens ?? DEFAULT_MAX_BATCH_TOKENS).map(([start, end]) => {
    const children: Data[] = [
      tokenListData(data.offsets, data.tokens, start, end),
      makeData({ type: new Int32(), length: end - start, nullCount: 0, data: data.labels.subarray(start, end) }),
    ];
    if (data.tokens2 !== undefined) children.push(tokenListData(data.offsets2!, data.tokens2, start, end));
    return new RecordBatch(schema, makeData({ type: new Struct(fields), length: end - start, nullCount: 0, children }));
  });
  return new Table(schema, batches);
}

/**
 * Writes one split as an Arrow IPC file (the random-access "file" format, which other Arrow
 * tools open), atomically, streaming it batch by batch (the writer hands out views of the
 * split's arrays, so nothing is copied into one file-sized buffer). The bytes depend on the
 * data only: no timestamps, so the same split always gives the same file. Returns its size and
 * SHA-256 for the manifest.
 */
export async function writeSplitArrow(
  path: string,
  data: SplitData,
  opts: WriteSplitOptions = {},
): Promise<{ bytes: number; sha256: string }> {
  const table = splitToTable(data, opts);
  return writeFileAtomicWith(path, async (out) => {
    const writer = RecordBatchFileWriter.writeAll(table);
    for await (const chunk of writer) await out.write(chunk);
  });
}

/** The flat (offsets, tokens) of a token-list column across record batches; views when one batch. */
function flattenTokenColumn(chunks: Data<List<Int32>>[], count: number): { offsets: Int32Array; tokens: Int32Array } {
  const views = chunks.map((d) => {
    const offsets = d.valueOffsets.subarray(d.offset, d.offset + d.length + 1);
    const values = (d.children[0] as Data<Int32>).values;
    return { offsets, values };
  });
  if (views.length === 1 && views[0]!.offsets[0] === 0) {
    const { offsets, values } = views[0]!;
    return { offsets, tokens: values.subarray(0, offsets[offsets.length - 1]) };
  }
  const total = views.reduce((n, v) => n + (v.offsets[v.offsets.length - 1]! - v.offsets[0]!), 0);
  const offsets = new Int32Array(count + 1);
  const tokens = new Int32Array(total);
  let row = 0;
  let at = 0;
  for (const { offsets: o, values } of views) {
    const base = o[0]!;
    for (let i = 1; i < o.length; i++) offsets[row + i] = at + o[i]! - base;
    tokens.set(values.subarray(base, o[o.length - 1]), at);
    at += o[o.length - 1]! - base;
    row += o.length - 1;
  }
  return { offsets, tokens };
}

function flattenInt32Column(chunks: Data<Int32>[], count: number): Int32Array {
  if (chunks.length === 1) return chunks[0]!.values.subarray(chunks[0]!.offset, chunks[0]!.offset + count);
  const out = new Int32Array(count);
  let at = 0;
  for (const d of chunks) {
    out.set(d.values.subarray(d.offset, d.offset + d.length), at);
    at += d.length;
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
  if (meta.get('lra.format') !== SPLIT_FILE_FORMAT) {
    throw new CacheError(path, `not a split file of format ${SPLIT_FILE_FORMAT} (found ${JSON.stringify(meta.get('lra.format') ?? null)})`);
  }
  const split = meta.get('lra.split') as SplitName;
  if (!splitNames.includes(split)) throw new CacheError(path, `unknown split ${JSON.stringify(split)}`);
  const count = table.numRows;
  if (Number(meta.get('lra.count')) !== count) {
    throw new CacheError(path, `metadata says ${meta.get('lra.count')} rows, the table has ${count}`);
  }
  const column = <T extends Int32 | List<Int32>>(name: string): Data<T>[] | null => {
    const vector = table.getChild(name);
    return vector === null ? null : (vector.data as Data<T>[]);
  };
  const tokensChunks = column<List<Int32>>('tokens');
  const labelChunks = column<Int32>('label');
  if (tokensChunks === null || labelChunks === null) throw new CacheError(path, 'missing the tokens or label column');
  const { offsets, tokens } = count === 0 ? { offsets: new Int32Array(1), tokens: new Int32Array(0) } : flattenTokenColumn(tokensChunks, count);
  const data: SplitData = {
    task: meta.get('lra.task') ?? '',
    split,
    count,
    seqLen: Number(meta.get('lra.seqLen')),
    offsets,
    tokens,
    labels: count === 0 ? new Int32Array(0) : flattenInt32Column(labelChunks, count),
    skipped: Number(meta.get('lra.skipped') ?? 0),
  };
  const tokens2Chunks = column<List<Int32>>('tokens2');
  if (tokens2Chunks !== null) {
    const second = count === 0 ? { offsets: new Int32Array(1), tokens: new Int32Array(0) } : flattenTokenColumn(tokens2Chunks, count);
    data.offsets2 = second.offsets;
    data.tokens2 = second.tokens;
  }
  if (Number(meta.get('lra.tokens')) !== data.tokens.length) {
    throw new CacheError(path, `metadata says ${meta.get('lra.tokens')} tokens, the file holds ${data.tokens.length}`);
  }
  return data;
}

/**
 * Reads a split file. With one record batch (every split up to 2^28 tokens) the returned arrays
 * are views of the file's bytes, no copy; `expectedSha256` checks the bytes on the way.
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
