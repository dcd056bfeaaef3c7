import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';

/**
 * Which cache files this machine has checked, by size and modification time: loading skips
 * hashing a file whose size and mtime are what they were when it was written or last verified
 * (hashing 400 MB takes longer than reading it). Kept out of the manifest because mtimes differ
 * between machines and preparations, while the manifest's bytes depend on the data only.
 */
export const VERIFIED_FILE = 'verified.json';

export interface FileStamp {
  bytes: number;
  mtimeMs: number;
  /** The checksum the file had when stamped (a stamp of another checksum does not count). */
  sha256: string;
}

export type FileStamps = Record<string, FileStamp>;

/** The stamps of a cache folder; none when the file is missing or unreadable (everything is hashed then). */
export async function readStamps(dir: string): Promise<FileStamps> {
  try {
    const value = JSON.parse(await readFile(join(dir, VERIFIED_FILE), 'utf8')) as { files?: unknown };
    return typeof value.files === 'object' && value.files !== null ? (value.files as FileStamps) : {};
  } catch {
    return {};
  }
}

/**
 * Records `stamps`. A cache on read-only storage cannot keep stamps: it is then hashed on every
 * load, which is slower but correct, so a failure to write is not an error.
 */
export async function writeStamps(dir: string, stamps: FileStamps): Promise<boolean> {
  try {
    await writeJsonAtomic(join(dir, VERIFIED_FILE), { note: 'sizes and mtimes of verified cache files on this machine', files: stamps });
    return true;
  } catch {
    return false;
  }
}

/** The stamp of `path` as it is now, for a file whose checksum is `sha256`. */
export async function stampOf(path: string, sha256: string): Promise<FileStamp> {
  const s = await stat(path);
  return { bytes: s.size, mtimeMs: s.mtimeMs, sha256 };
}

/** Whether `stamp` still describes the file at `path` with checksum `sha256`: same size and mtime. */
export function stampMatches(stamp: FileStamp | undefined, now: { size: number; mtimeMs: number }, sha256: string): boolean {
  return stamp !== undefined && stamp.sha256 === sha256 && stamp.bytes === now.size && stamp.mtimeMs === now.mtimeMs;
}
