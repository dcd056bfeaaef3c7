import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';

/** Per-file checksums of the source files a cache was made from, in `sha256sum` format. */
export const SOURCE_CHECKSUMS_FILE = 'sources.sha256';

export interface SourceFileChecksum {
  /** Relative to the source folder, with `/` separators. */
  path: string;
  bytes: number;
  sha256: string;
}

/** What the manifest says about the source files of one split. */
export interface SourceSummary {
  files: number;
  bytes: number;
  /** SHA-256 of the split's lines of sources.sha256 (sorted by path): one value for all files. */
  sha256: string;
}

const CONCURRENT_HASHES = 16;

async function checksumOf(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** The names files get in sources.sha256: relative to `root`, with `/` separators, distinct. */
export function checksumNames(root: string, paths: readonly string[]): string[] {
  return [...new Set(paths.map((path) => relative(root, path).split(sep).join('/')))];
}

/** Checksums of `paths` (absolute), named relative to `root` and sorted by that name. */
export async function checksumSourceFiles(root: string, paths: readonly string[]): Promise<SourceFileChecksum[]> {
  const unique = [...new Set(paths)];
  const out: SourceFileChecksum[] = [];
  for (let start = 0; start < unique.length; start += CONCURRENT_HASHES) {
    const chunk = unique.slice(start, start + CONCURRENT_HASHES);
    const sums = await Promise.all(chunk.map(checksumOf));
    chunk.forEach((path, k) => out.push({ path: relative(root, path).split(sep).join('/'), ...sums[k]! }));
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Lines `<sha256>  <path>`, as `sha256sum` writes and `sha256sum -c` checks them. */
export function sourceChecksumListing(files: readonly SourceFileChecksum[]): string {
  return files.map((f) => `${f.sha256}  ${f.path}\n`).join('');
}

export function summariseSources(files: readonly SourceFileChecksum[]): SourceSummary {
  return {
    files: files.length,
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    sha256: createHash('sha256').update(sourceChecksumListing(files)).digest('hex'),
  };
}

/** Writes sources.sha256 into a cache folder (checkable with `cd SOURCE && sha256sum -c`). */
export async function writeSourceChecksums(dir: string, files: readonly SourceFileChecksum[]): Promise<{ bytes: number; sha256: string }> {
  return writeFileAtomic(join(dir, SOURCE_CHECKSUMS_FILE), sourceChecksumListing(files));
}
