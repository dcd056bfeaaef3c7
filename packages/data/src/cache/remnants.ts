import { readdir } from 'node:fs/promises';

/** Files a preparation writes into a cache folder besides its manifest. */
const CACHE_FILE = /^((train|val|test)(-\d{5}-of-\d{5})?\.arrow|verified\.json|sources\.sha256)$/;

/**
 * The cache files in `dir` (sorted), whether or not a manifest lists them: a folder that holds
 * some but no manifest is a cache whose manifest was lost, not the absence of a cache.
 */
export async function cacheFilesIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => CACHE_FILE.test(name)).sort();
  } catch {
    return [];
  }
}
