import { ConfigError, checkPartial } from '../config/schema.js';

/** Keys for people, ignored, as in experiment files. */
export const annotationKeys = ['description', '$comment'];
/** A name becomes a folder name and part of a run id, so it must be one plain path segment. */
export const segmentPattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : `${typeof v} ${JSON.stringify(v)}`;
}

export function checkKeys(obj: Record<string, unknown>, known: readonly string[], prefix: string, origin: string): void {
  for (const k of Object.keys(obj)) {
    if (annotationKeys.includes(k) || known.includes(k)) continue;
    throw new ConfigError(prefix ? `${prefix}.${k}` : k, `unknown key (known here: ${known.join(', ')})`, origin);
  }
}

export function nonEmptyList(value: unknown, key: string, origin: string): unknown[] {
  if (!Array.isArray(value)) throw new ConfigError(key, `expected a list, got ${describe(value)}`, origin);
  if (value.length === 0) throw new ConfigError(key, 'must not be empty', origin);
  return value;
}

export function distinct<T>(values: T[], key: string, origin: string): T[] {
  const seen = new Set<T>();
  for (const v of values) {
    if (seen.has(v)) throw new ConfigError(key, `lists ${JSON.stringify(v)} twice`, origin);
    seen.add(v);
  }
  return values;
}

export function segmentName(value: unknown, key: string, origin: string): string {
  if (typeof value !== 'string' || !segmentPattern.test(value))
    throw new ConfigError(key, `expected a name of letters, digits, '.', '_' or '-', got ${describe(value)}`, origin);
  return value;
}

export function names(value: unknown, key: string, origin: string): string[] {
  const list = nonEmptyList(value, key, origin).map((v, i) => segmentName(v, `${key}[${i}]`, origin));
  return distinct(list, key, origin);
}

/**
 * A partial config inside a sweep file, checked against the config's own schema so a typo names
 * the place in the sweep and the key; the run's identity (task, mixer, seed, out) is the sweep's.
 */
export function partialConfig(value: unknown, key: string, origin: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw new ConfigError(key, `expected a partial config object, got ${describe(value)}`, origin);
  checkPartial(value, `${origin}: ${key}`);
  if ('task' in value || 'mixer' in value || 'seed' in value || 'out' in value)
    throw new ConfigError(key, 'task, mixer, seed and out are chosen by the sweep (tasks, mixers, seeds, root), not by an override', origin);
  return value;
}

/** `key=value` assignments, as `lra train --set` takes them. */
export function assignments(value: unknown, key: string, origin: string): string[] {
  if (!Array.isArray(value)) throw new ConfigError(key, `expected a list of "key=value" strings, got ${describe(value)}`, origin);
  return value.map((a, j) => {
    if (typeof a !== 'string' || a.indexOf('=') <= 0)
      throw new ConfigError(`${key}[${j}]`, `expected "key=value" (e.g. "train.lr=0.001"), got ${describe(a)}`, origin);
    return a;
  });
}
