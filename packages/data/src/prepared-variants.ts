// The variants of a task already prepared in a data root: what `lra data inspect` reads when it
// is given no source, rather than starting a generation nobody asked for.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadCachedSplits } from './cache/load.js';
import { manifestPath, readManifest } from './cache/manifest.js';
import { CacheError } from './errors.js';
import { manifestVersionProblem, type TaskData } from './prepare.js';
import { getTask } from './tasks/registry.js';
import type { SplitData, SplitName } from './types.js';

export interface PreparedVariant {
  variant: string;
  dir: string;
  /** When its manifest was written (ms since the epoch). */
  modified: number;
}

/** Every cache folder of the task with a manifest: the official one first, then newest first. */
export async function preparedVariants(dataDir: string, taskName: string): Promise<PreparedVariant[]> {
  const root = join(dataDir, 'cache', taskName);
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const found: PreparedVariant[] = [];
  for (const variant of names) {
    const dir = join(root, variant);
    try {
      found.push({ variant, dir, modified: (await stat(manifestPath(dir))).mtimeMs });
    } catch {
      // No manifest: not a prepared variant (a preparation that never finished).
    }
  }
  return found.sort((a, b) => (a.variant === 'official' ? -1 : b.variant === 'official' ? 1 : b.modified - a.modified));
}

/**
 * The first prepared variant of the task that loads and verifies, or null when there is none.
 * Variants that cannot be used are reported through `skip` (with why) and passed over.
 */
export async function loadPreparedVariant(
  dataDir: string,
  taskName: string,
  opts: { verify?: boolean; skip?: (variant: string, why: string) => void } = {},
): Promise<TaskData | null> {
  const task = getTask(taskName);
  for (const { variant, dir } of await preparedVariants(dataDir, taskName)) {
    try {
      const manifest = await readManifest(dir);
      if (manifest === null) continue;
      const old = manifestVersionProblem(manifest);
      if (old !== null) {
        opts.skip?.(variant, `it was ${old}`);
        continue;
      }
      const { splits } = await loadCachedSplits(dir, manifest, task.splits, { verify: opts.verify ?? false });
      return { prepared: { task: task.name, variant: manifest.variant, dir, manifest }, splits: splits as Record<SplitName, SplitData> };
    } catch (err) {
      if (!(err instanceof CacheError)) throw err;
      opts.skip?.(variant, err.message);
    }
  }
  return null;
}
