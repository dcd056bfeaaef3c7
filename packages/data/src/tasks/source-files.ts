import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DataSourceError } from '../errors.js';

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Finds a task's source file when `source` may be either the release root (holding the task's
 * folder, e.g. `lra_release/`) or the task's folder itself (e.g. `listops-1000/`). The error
 * lists every path that was tried.
 */
export async function findSourceFile(
  source: string,
  taskFolders: readonly string[],
  fileName: string,
  what: string,
): Promise<string> {
  const root = resolve(source);
  if (!(await isDirectory(root))) {
    throw new DataSourceError(`${what}: source folder ${root} does not exist or is not a folder`);
  }
  const candidates = [root, ...taskFolders.map((folder) => join(root, folder))];
  for (const dir of candidates) {
    const path = join(dir, fileName);
    if (await isFile(path)) return path;
  }
  throw new DataSourceError(
    `${what}: no ${fileName} found; looked for ${candidates.map((dir) => join(dir, fileName)).join(' and ')}`,
  );
}
