import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { maskedCrc32c } from './crc32c.js';

/** Of a stored event, what deciding whether to keep it needs. */
export interface StoredEvent {
  step: number;
  tags: string[];
}

/**
 * Rewrites the events files of `dir` keeping only the events `keep` accepts, and drops a torn
 * last record; returns how many events files there are. A resumed run calls it with the step of its checkpoint, as it trims
 * metrics.jsonl: the events a killed process wrote after that step are written again by the
 * resumed one, and no step appears twice. Each file is replaced atomically, and a file with
 * nothing to drop is left untouched.
 */
export async function trimEventFiles(dir: string, keep: (event: StoredEvent) => boolean): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  const eventFiles = names.filter((n) => n.includes('tfevents') && !n.includes('.tmp-'));
  for (const name of eventFiles) {
    const path = join(dir, name);
    const bytes = await readFile(path);
    const records = readRecords(bytes);
    const kept = records.filter((r) => {
      try {
        return keep(storedEvent(r.data));
      } catch {
        return false; // not an Event this project wrote: nothing a resumed run could rely on
      }
    });
    const keptBytes = kept.reduce((n, r) => n + r.frame.length, 0);
    if (keptBytes !== bytes.length) await writeFileAtomic(path, Buffer.concat(kept.map((r) => r.frame)));
  }
  return eventFiles.length;
}

/** The whole records of a file, each as its frame and its data; reading stops at a torn one. */
function readRecords(bytes: Buffer): { frame: Buffer; data: Buffer }[] {
  const out: { frame: Buffer; data: Buffer }[] = [];
  let at = 0;
  while (at + 12 <= bytes.length) {
    const length = bytes.readBigUInt64LE(at);
    if (bytes.readUInt32LE(at + 8) !== maskedCrc32c(bytes.subarray(at, at + 8))) break;
    const end = at + 12 + Number(length) + 4;
    if (end > bytes.length) break;
    const data = bytes.subarray(at + 12, end - 4);
    if (bytes.readUInt32LE(end - 4) !== maskedCrc32c(data)) break;
    out.push({ frame: bytes.subarray(at, end), data });
    at = end;
  }
  return out;
}

/** An Event's step (field 2) and its summary values' tags (field 5, value 1, tag 1). */
function storedEvent(data: Uint8Array): StoredEvent {
  const event: StoredEvent = { step: 0, tags: [] };
  for (const field of fields(data)) {
    if (field.number === 2 && typeof field.value === 'bigint') event.step = Number(BigInt.asIntN(64, field.value));
    if (field.number === 5 && field.value instanceof Uint8Array)
      for (const value of fields(field.value))
        if (value.number === 1 && value.value instanceof Uint8Array)
          for (const part of fields(value.value)) if (part.number === 1 && part.value instanceof Uint8Array) event.tags.push(Buffer.from(part.value).toString('utf8'));
  }
  return event;
}

/** The fields of one protobuf message: varints as bigint, length-delimited as bytes, fixed ones skipped. */
function* fields(data: Uint8Array): Generator<{ number: number; value: bigint | Uint8Array | null }> {
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; at < data.length; shift += 7n) {
      const byte = data[at++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
    throw new Error('truncated varint');
  };
  while (at < data.length) {
    const key = varint();
    const number = Number(key >> 3n);
    switch (Number(key & 7n)) {
      case 0:
        yield { number, value: varint() };
        break;
      case 1:
        at += 8;
        yield { number, value: null };
        break;
      case 2: {
        const length = Number(varint());
        yield { number, value: data.subarray(at, at + length) };
        at += length;
        break;
      }
      case 5:
        at += 4;
        yield { number, value: null };
        break;
      default:
        throw new Error(`unsupported wire type in key ${key}`);
    }
  }
}
