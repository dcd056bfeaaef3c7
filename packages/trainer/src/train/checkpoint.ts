import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';

/**
 * A checkpoint: named float32 arrays plus a JSON header. One self-describing binary file,
 *   "LRACKPT2" | u32 header bytes | header JSON | padding to 4 | float32 data | SHA-256 of all before
 * written under a temporary name and renamed, so a run killed mid-write keeps its previous one.
 * The trailing checksum is verified on every read: a flipped float or a damaged header is an
 * error naming the file, never weights silently loaded. Files of the first format ("LRACKPT1",
 * no checksum) are still read, as written by earlier versions.
 */
export interface CheckpointEntry {
  key: string;
  shape: number[];
  values: Float32Array;
}

export interface Checkpoint<M> {
  meta: M;
  entries: Map<string, { shape: number[]; values: Float32Array }>;
  /** False for a file of the first format, which has no checksum to verify. */
  verified: boolean;
}

/** A checkpoint that cannot be used; the message starts with its path. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

const MAGIC = 'LRACKPT2';
const MAGIC_V1 = 'LRACKPT1';
const DIGEST_BYTES = 32;
/** What writeFileAtomic leaves behind when killed between writing and renaming. */
const TEMP_NAME = /\.ckpt\.tmp-\d+-\d+$/;

interface IndexItem {
  key: string;
  shape: number[];
  offset: number;
  length: number;
}

export async function writeCheckpoint<M>(path: string, meta: M, entries: readonly CheckpointEntry[]): Promise<void> {
  let offset = 0;
  const index = entries.map((e) => {
    const item = { key: e.key, shape: e.shape, offset, length: e.values.length };
    offset += e.values.length;
    return item;
  });
  const header = Buffer.from(JSON.stringify({ meta, index }), 'utf8');
  const headerEnd = MAGIC.length + 4 + header.length;
  const dataStart = Math.ceil(headerEnd / 4) * 4;
  const dataEnd = dataStart + offset * 4;
  const out = Buffer.alloc(dataEnd + DIGEST_BYTES);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(header.length, MAGIC.length);
  header.copy(out, MAGIC.length + 4);
  const data = new Float32Array(out.buffer, out.byteOffset + dataStart, offset);
  for (const [i, e] of entries.entries()) data.set(e.values, index[i]!.offset);
  createHash('sha256').update(out.subarray(0, dataEnd)).digest().copy(out, dataEnd);
  await writeFileAtomic(path, out);
}

export async function readCheckpoint<M>(path: string): Promise<Checkpoint<M>> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw new CheckpointError(path, `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const magic = buf.length >= MAGIC.length ? buf.toString('latin1', 0, MAGIC.length) : '';
  if (magic !== MAGIC && magic !== MAGIC_V1) throw new CheckpointError(path, 'not a checkpoint of this project (bad magic)');
  const verified = magic === MAGIC;
  const end = verified ? buf.length - DIGEST_BYTES : buf.length;
  if (end < MAGIC.length + 4) throw new CheckpointError(path, `truncated checkpoint (${buf.length} bytes)`);
  const headerLength = buf.readUInt32LE(MAGIC.length);
  const headerEnd = MAGIC.length + 4 + headerLength;
  if (verified) {
    const actual = createHash('sha256').update(buf.subarray(0, end)).digest();
    if (!actual.equals(buf.subarray(end))) {
      // Say truncated when the header still tells the size the file had; otherwise damaged.
      const expected = headerEnd <= end ? expectedSize(buf, headerEnd) : null;
      throw new CheckpointError(
        path,
        expected !== null && expected !== buf.length
          ? `truncated checkpoint (expected ${expected} bytes, found ${buf.length})`
          : 'checksum mismatch: the file is damaged (its SHA-256 is not the one written with it)',
      );
    }
  }
  if (headerEnd > end) throw new CheckpointError(path, 'truncated checkpoint header');
  let header: { meta: M; index: IndexItem[] };
  try {
    header = JSON.parse(buf.toString('utf8', MAGIC.length + 4, headerEnd)) as { meta: M; index: IndexItem[] };
  } catch (err) {
    throw new CheckpointError(path, `unreadable checkpoint header (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || header.meta === undefined || !Array.isArray(header.index))
    throw new CheckpointError(path, 'unreadable checkpoint header (no meta or index)');
  const { meta, index } = header;
  const dataStart = Math.ceil(headerEnd / 4) * 4;
  const total = index.reduce((n, e) => n + e.length, 0);
  if (dataStart + total * 4 !== end) throw new CheckpointError(path, `truncated checkpoint (expected ${dataStart + total * 4} bytes, found ${end})`);
  // Copy out of the file buffer: it is not guaranteed to be 4-byte aligned.
  const data = new Float32Array(total);
  Buffer.from(data.buffer).set(buf.subarray(dataStart, end));
  const entries = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const e of index) entries.set(e.key, { shape: e.shape, values: data.subarray(e.offset, e.offset + e.length) });
  return { meta, entries, verified };
}

/** The size a v2 file should have by its header, or null when the header does not parse. */
function expectedSize(buf: Buffer, headerEnd: number): number | null {
  try {
    const { index } = JSON.parse(buf.toString('utf8', MAGIC.length + 4, headerEnd)) as { index: IndexItem[] };
    const total = index.reduce((n, e) => n + e.length, 0);
    return Math.ceil(headerEnd / 4) * 4 + total * 4 + DIGEST_BYTES;
  } catch {
    return null;
  }
}

/**
 * Deletes the temporary files of checkpoint writes that a kill interrupted. Only the process that
 * holds the run's lock may call it: another writer's temporary file would be in flight.
 */
export async function removeStaleCheckpointTemps(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const stale = names.filter((n) => TEMP_NAME.test(n));
  for (const name of stale) await rm(join(dir, name), { force: true });
  return stale;
}
