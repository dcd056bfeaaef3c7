import { readFileSync } from 'node:fs';
import { presetNames } from '../config/presets.js';
import { ConfigError, checkPartial } from '../config/schema.js';
import type { BackendRequest } from '../config/types.js';

/** One named set of config overrides: `--set` assignments and/or a partial config. */
export interface OverrideSet {
  name: string;
  /** `key=value` assignments, as `lra train --set` takes them; applied after `config`. */
  set: string[];
  /** A partial config (the keys of config.json), checked as strictly as an experiment file. */
  config: Record<string, unknown> | null;
}

/** A sweep file, checked and with its defaults filled in. */
export interface SweepSpec {
  tasks: string[];
  mixers: string[];
  seeds: number[];
  preset: string;
  overrides: OverrideSet[];
  /** Results folder: every run writes to `<root>/<task>/<mixer>/<override>/s<seed>`. */
  root: string;
  steps: number | null;
  backend: BackendRequest | null;
  dataDir: string | null;
}

/** The override set a sweep without `overrides` runs: the preset (and file flags) unchanged. */
export const DEFAULT_OVERRIDE_NAME = 'base';

const backends: readonly BackendRequest[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];
const topKeys = ['tasks', 'mixers', 'seeds', 'preset', 'overrides', 'root', 'steps', 'backend', 'dataDir'] as const;
const overrideKeys = ['name', 'set', 'config'] as const;
/** Keys for people, ignored, as in experiment files. */
const annotationKeys = ['description', '$comment'];
/** A name becomes a folder name and part of a run id, so it must be one plain path segment. */
const segmentPattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : `${typeof v} ${JSON.stringify(v)}`;
}

function checkKeys(obj: Record<string, unknown>, known: readonly string[], prefix: string, origin: string): void {
  for (const k of Object.keys(obj)) {
    if (annotationKeys.includes(k) || known.includes(k)) continue;
    throw new ConfigError(prefix ? `${prefix}.${k}` : k, `unknown key (known here: ${known.join(', ')})`, origin);
  }
}

function nonEmptyList(value: unknown, key: string, origin: string): unknown[] {
  if (!Array.isArray(value)) throw new ConfigError(key, `expected a list, got ${describe(value)}`, origin);
  if (value.length === 0) throw new ConfigError(key, 'must not be empty', origin);
  return value;
}

function distinct<T>(values: T[], key: string, origin: string): T[] {
  const seen = new Set<T>();
  for (const v of values) {
    if (seen.has(v)) throw new ConfigError(key, `lists ${JSON.stringify(v)} twice`, origin);
    seen.add(v);
  }
  return values;
}

function names(value: unknown, key: string, origin: string): string[] {
  const list = nonEmptyList(value, key, origin).map((v, i) => {
    if (typeof v !== 'string' || !segmentPattern.test(v))
      throw new ConfigError(`${key}[${i}]`, `expected a name of letters, digits, '.', '_' or '-', got ${describe(v)}`, origin);
    return v;
  });
  return distinct(list, key, origin);
}

function parseOverride(value: unknown, i: number, origin: string): OverrideSet {
  const key = `overrides[${i}]`;
  if (!isPlainObject(value)) throw new ConfigError(key, `expected an object {name, set?, config?}, got ${describe(value)}`, origin);
  checkKeys(value, overrideKeys, key, origin);
  const name = value.name;
  if (typeof name !== 'string' || !segmentPattern.test(name))
    throw new ConfigError(`${key}.name`, `expected a name of letters, digits, '.', '_' or '-', got ${describe(name)}`, origin);
  let set: string[] = [];
  if (value.set !== undefined) {
    if (!Array.isArray(value.set)) throw new ConfigError(`${key}.set`, `expected a list of "key=value" strings, got ${describe(value.set)}`, origin);
    set = value.set.map((a, j) => {
      if (typeof a !== 'string' || a.indexOf('=') <= 0)
        throw new ConfigError(`${key}.set[${j}]`, `expected "key=value" (e.g. "train.lr=0.001"), got ${describe(a)}`, origin);
      return a;
    });
  }
  let config: Record<string, unknown> | null = null;
  if (value.config !== undefined) {
    if (!isPlainObject(value.config)) throw new ConfigError(`${key}.config`, `expected a partial config object, got ${describe(value.config)}`, origin);
    // The config's own schema, so a typo inside an override names the set and the key.
    checkPartial(value.config, `${origin}: ${key}.config`);
    if ('task' in value.config || 'mixer' in value.config || 'seed' in value.config || 'out' in value.config)
      throw new ConfigError(`${key}.config`, 'task, mixer, seed and out are chosen by the sweep (tasks, mixers, seeds, root), not by an override', origin);
    config = value.config;
  }
  return { name, set, config };
}

/**
 * Checks a parsed sweep file: unknown keys, wrong types, empty or repeated lists and names that
 * cannot be folder names are errors naming the file and the key, before anything runs.
 */
export function parseSweepSpec(value: unknown, origin: string): SweepSpec {
  if (!isPlainObject(value)) throw new ConfigError('', `expected a JSON object, got ${describe(value)}`, origin);
  checkKeys(value, topKeys, '', origin);
  for (const required of ['tasks', 'mixers', 'seeds', 'root'] as const)
    if (value[required] === undefined) throw new ConfigError(required, 'missing (a sweep names its tasks, mixers, seeds and results root)', origin);

  const seeds = nonEmptyList(value.seeds, 'seeds', origin).map((s, i) => {
    // Seed 0 would mean "unseeded" to tfjs's random ops; the config forbids it too.
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 1) throw new ConfigError(`seeds[${i}]`, `expected an integer >= 1, got ${describe(s)}`, origin);
    return s;
  });
  const preset = value.preset ?? 'lra';
  if (typeof preset !== 'string' || !(presetNames as readonly string[]).includes(preset))
    throw new ConfigError('preset', `expected one of ${presetNames.join(', ')}, got ${describe(preset)}`, origin);
  if (typeof value.root !== 'string' || value.root.trim() === '') throw new ConfigError('root', `expected a folder path, got ${describe(value.root)}`, origin);

  let overrides: OverrideSet[] = [{ name: DEFAULT_OVERRIDE_NAME, set: [], config: null }];
  if (value.overrides !== undefined) {
    overrides = nonEmptyList(value.overrides, 'overrides', origin).map((o, i) => parseOverride(o, i, origin));
    distinct(overrides.map((o) => o.name), 'overrides (names)', origin);
  }

  let steps: number | null = null;
  if (value.steps !== undefined) {
    if (typeof value.steps !== 'number' || !Number.isInteger(value.steps) || value.steps < 1)
      throw new ConfigError('steps', `expected an integer >= 1, got ${describe(value.steps)}`, origin);
    steps = value.steps;
  }
  let backend: BackendRequest | null = null;
  if (value.backend !== undefined) {
    if (typeof value.backend !== 'string' || !(backends as readonly string[]).includes(value.backend))
      throw new ConfigError('backend', `expected one of ${backends.join(', ')}, got ${describe(value.backend)}`, origin);
    backend = value.backend as BackendRequest;
  }
  let dataDir: string | null = null;
  if (value.dataDir !== undefined) {
    if (typeof value.dataDir !== 'string' || value.dataDir === '') throw new ConfigError('dataDir', `expected a folder path, got ${describe(value.dataDir)}`, origin);
    dataDir = value.dataDir;
  }

  return {
    tasks: names(value.tasks, 'tasks', origin),
    mixers: names(value.mixers, 'mixers', origin),
    seeds: distinct(seeds, 'seeds', origin),
    preset,
    overrides,
    root: value.root,
    steps,
    backend,
    dataDir,
  };
}

/** The file's text, parsed and checked; `text` is kept so an emitted job can carry it verbatim. */
export interface SweepFile {
  path: string;
  text: string;
  spec: SweepSpec;
}

export function readSweepFile(path: string): SweepFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError('', code === 'ENOENT' ? 'file not found' : (err as Error).message, path);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('', `not valid JSON: ${(err as Error).message}`, path);
  }
  return { path, text, spec: parseSweepSpec(parsed, path) };
}
