import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}

/** Feeds the first `bytes` bytes of a file (all of it when absent) into `hash`, streaming. */
export async function hashFileInto(hash: Hash, path: string, bytes?: number): Promise<void> {
  if (bytes === 0) return;
  const stream = createReadStream(path, bytes === undefined ? {} : { start: 0, end: bytes - 1 });
  for await (const chunk of stream) hash.update(chunk as Buffer);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await hashFileInto(hash, path);
  return hash.digest('hex');
}

/**
 * The lock file of a download without a published checksum: the SHA-256 computed the first time,
 * in `sha256sum` format (`<hex>  <file name>`), so `sha256sum -c` can check it too. Null when
 * there is none.
 */
export async function readLockedSha256(lockFile: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(lockFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const hex = text.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (!isSha256Hex(hex)) throw new Error(`${lockFile}: not a sha256 lock file (expected "<64 hex digits>  <file>")`);
  return hex;
}

export async function writeLockedSha256(lockFile: string, sha256: string, fileName: string): Promise<void> {
  await writeFileAtomic(lockFile, `${sha256}  ${basename(fileName)}\n`);
}
