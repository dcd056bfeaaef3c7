import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CacheError } from '../errors.js';
import type { SplitData, SplitName } from '../types.js';
import { joinSplitShards, readSplitArrow } from './arrow.js';
import type { TaskManifest } from './manifest.js';
import { checkSplitRanges } from './range-check.js';
import { readStamps, stampMatches, stampOf, writeStamps, type FileStamps } from './stamps.js';

export interface LoadCacheOptions {
  /** Hash every file even when its size and mtime say it is the file verified before. */
  verify?: boolean | undefined;
}

export interface LoadedCache {
  splits: Partial<Record<SplitName, SplitData>>;
  /** Files whose SHA-256 was computed (the others were trusted by their stamps). */
  hashed: string[];
}

/**
 * Loads splits of a prepared cache: every file of each split read in one piece, its arrays
 * views of the file's bytes. A file is hashed against the manifest unless its size and mtime
 * match the stamp recorded when it was written or last verified (or always, with `verify`);
 * files that pass are stamped again. Counts are checked against the manifest, and labels and ids
 * against its numClasses and vocabSize, either way.
 */
export async function loadCachedSplits(
  dir: string,
  manifest: TaskManifest,
  splits: readonly SplitName[],
  opts: LoadCacheOptions = {},
): Promise<LoadedCache> {
  const stamps = await readStamps(dir);
  const hashed: string[] = [];
  const out: Partial<Record<SplitName, SplitData>> = {};
  for (const split of splits) {
    const entry = manifest.splits[split];
    if (entry === undefined) throw new CacheError(join(dir, 'manifest.json'), `no ${split} split`);
    const parts: SplitData[] = [];
    for (const shard of entry.files) {
      const path = join(dir, shard.file);
      let now;
      try {
        now = await stat(path);
      } catch (err) {
        throw new CacheError(path, `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
      if (now.size !== shard.bytes) throw new CacheError(path, `holds ${now.size} bytes, the manifest says ${shard.bytes}`);
      const trusted = opts.verify !== true && stampMatches(stamps[shard.file], now, shard.sha256);
      const data = await readSplitArrow(path, trusted ? undefined : shard.sha256);
      if (!trusted) {
        hashed.push(shard.file);
        stamps[shard.file] = await stampOf(path, shard.sha256);
      }
      if (data.count !== shard.rows || data.documents.totalTokens !== shard.tokens || data.split !== split) {
        throw new CacheError(
          path,
          `holds ${data.split} with ${data.count} rows and ${data.documents.totalTokens} tokens, the manifest says ${split} with ${shard.rows} and ${shard.tokens}`,
        );
      }
      checkSplitRanges(path, data, manifest.vocabSize, manifest.numClasses);
      parts.push(data);
    }
    const data = { ...joinSplitShards(parts), skipped: entry.skipped };
    if (entry.dropped !== undefined) data.dropped = entry.dropped;
    if (data.count !== entry.rows) throw new CacheError(dir, `${split}: the files hold ${data.count} rows, the manifest says ${entry.rows}`);
    out[split] = data;
  }
  if (hashed.length > 0) await writeStamps(dir, keepListed(stamps, manifest));
  return { splits: out, hashed };
}

/** The stamps of files the manifest lists (stamps of files from earlier preparations are dropped). */
export function keepListed(stamps: FileStamps, manifest: TaskManifest): FileStamps {
  const listed = new Set(Object.values(manifest.splits).flatMap((s) => s?.files.map((f) => f.file) ?? []));
  return Object.fromEntries(Object.entries(stamps).filter(([name]) => listed.has(name)));
}
