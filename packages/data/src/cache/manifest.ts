import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CacheError } from '../errors.js';
import { writeJsonAtomic } from '../io/atomic.js';
import type { TokenStorageType } from '../tokens/storage.js';
import type { SplitName } from '../types.js';
import type { SourceSummary } from './sources.js';

/**
 * Bumped whenever the cache layout or the split file format changes; older caches are rebuilt.
 * 2: the manifest gained vocabSize, numClasses, label counts and source checksums.
 * 3: ids stored narrow (id - 1, Uint8 for every LRA task), fixed-length rows without offsets,
 *    each split in one or more shard files listed in `files`.
 */
export const CACHE_FORMAT_VERSION = 3;
export const MANIFEST_FILE = 'manifest.json';

/** One file of a split: `train.arrow`, or `train-00000-of-00008.arrow` and so on. */
export interface ManifestShard {
  file: string;
  rows: number;
  /** Ids in the file's first document column. */
  tokens: number;
  bytes: number;
  sha256: string;
}

export interface ManifestSplit {
  rows: number;
  skipped: number;
  /** Examples the official pipeline drops by design (Pathfinder's empty images); absent = 0. */
  dropped?: number;
  /** Ids in the first document column, all files together. */
  tokens: number;
  /** Bytes of all files together. */
  bytes: number;
  /** The split's files in row order. */
  files: ManifestShard[];
  /** labelCounts[c] = rows of class c. */
  labelCounts: number[];
  /** The source files this split was read from (absent when the reader does not report them). */
  sources?: SourceSummary;
}

/** How the split files store ids: `stored = id - idShift` in `type`, files of at most `shardBytes` of ids. */
export interface ManifestTokenStorage {
  type: TokenStorageType;
  idShift: number;
  shardBytes: number;
}

export type ManifestSource =
  | { kind: 'official'; path: string }
  | { kind: 'generated'; generator: object; rawDir: string };

export interface TaskManifest {
  formatVersion: number;
  task: string;
  variant: string;
  vocabVersion: string;
  seqLen: number;
  vocabSize: number;
  numClasses: number;
  tokenStorage: ManifestTokenStorage;
  skipBad: boolean;
  source: ManifestSource;
  /** The per-file checksums of every source file read, in sha256sum format. */
  sourceChecksums?: { file: string; files: number; sha256: string };
  splits: Partial<Record<SplitName, ManifestSplit>>;
}

export function manifestPath(dir: string): string {
  return join(dir, MANIFEST_FILE);
}

/** The manifest in `dir`, or null when there is none; a manifest that is not valid JSON throws. */
export async function readManifest(dir: string): Promise<TaskManifest | null> {
  const path = manifestPath(dir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const value = JSON.parse(text) as TaskManifest;
    if (typeof value !== 'object' || value === null || typeof value.splits !== 'object') throw new Error('not a manifest');
    return value;
  } catch (err) {
    throw new CacheError(path, `unreadable manifest (${(err as Error).message})`);
  }
}

export async function writeManifest(dir: string, manifest: TaskManifest): Promise<void> {
  await writeJsonAtomic(manifestPath(dir), manifest);
}

/** JSON with object keys sorted, so equal options always serialise (and hash) the same way. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
