import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic.js';

/**
 * A checkpoint: named float32 arrays plus a JSON header. One self-describing binary file,
 *   "LRACKPT1" | u32 header bytes | header JSON | padding to 4 | float32 data
 * written under a temporary name and renamed, so a run killed mid-write keeps its previous one.
 */
export interface CheckpointEntry {
  key: string;
  shape: number[];
  values: Float32Array;
}

export interface Checkpoint<M> {
  meta: M;
  entries: Map<string, { shape: number[]; values: Float32Array }>;
}

const MAGIC = 'LRACKPT1';

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
  const out = Buffer.alloc(dataStart + offset * 4);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(header.length, MAGIC.length);
  header.copy(out, MAGIC.length + 4);
  const data = new Float32Array(out.buffer, out.byteOffset + dataStart, offset);
  for (const [i, e] of entries.entries()) data.set(e.values, index[i]!.offset);
  await writeFileAtomic(path, out);
}

export async function readCheckpoint<M>(path: string): Promise<Checkpoint<M>> {
  const buf = await readFile(path);
  if (buf.length < MAGIC.length + 4 || buf.toString('latin1', 0, MAGIC.length) !== MAGIC)
    throw new Error(`${path}: not a checkpoint of this project (bad magic)`);
  const headerLength = buf.readUInt32LE(MAGIC.length);
  const headerEnd = MAGIC.length + 4 + headerLength;
  if (headerEnd > buf.length) throw new Error(`${path}: truncated checkpoint header`);
  const { meta, index } = JSON.parse(buf.toString('utf8', MAGIC.length + 4, headerEnd)) as {
    meta: M;
    index: Array<{ key: string; shape: number[]; offset: number; length: number }>;
  };
  const dataStart = Math.ceil(headerEnd / 4) * 4;
  const total = index.reduce((n, e) => n + e.length, 0);
  if (dataStart + total * 4 !== buf.length) throw new Error(`${path}: truncated checkpoint (expected ${dataStart + total * 4} bytes, found ${buf.length})`);
  // Copy out of the file buffer: it is not guaranteed to be 4-byte aligned.
  const data = new Float32Array(total);
  Buffer.from(data.buffer).set(buf.subarray(dataStart));
  const entries = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const e of index) entries.set(e.key, { shape: e.shape, values: data.subarray(e.offset, e.offset + e.length) });
  return { meta, entries };
}
