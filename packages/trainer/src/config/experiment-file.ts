import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../util/paths.js';
import { ConfigError, checkPartial } from './schema.js';

/** Keys an experiment file may carry for people, ignored by the config. */
const annotationKeys = ['description', '$comment'];

/** Reads a partial config from JSON; unknown keys and wrong types name the file and the key. */
export function readExperimentFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `not valid JSON: ${(err as Error).message}`;
    throw new ConfigError('', reason, path);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError('', 'expected a JSON object', path);
  const body = { ...(parsed as Record<string, unknown>) };
  for (const key of annotationKeys) delete body[key];
  checkPartial(body, path);
  return body;
}

/** experiments/lra/<task>/<name>.json when the project ships it, else null. */
export function lraExperimentPath(task: string, name: string): string | null {
  const path = join(repoRoot(), 'experiments', 'lra', task, `${name}.json`);
  return existsSync(path) ? path : null;
}
