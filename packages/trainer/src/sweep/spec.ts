import { readFileSync } from 'node:fs';
import { presetNames } from '../config/presets.js';
import { ConfigError } from '../config/schema.js';
import type { BackendRequest } from '../config/types.js';
import { type GridSpec, type OverrideSet, type SweepVariant, gridVariants, parseAnchors, parseGrid } from './grid.js';
import { assignments, checkKeys, describe, distinct, isPlainObject, names, nonEmptyList, partialConfig, segmentName } from './spec-checks.js';

export type { GridAxis, GridSpec, OverrideSet, SweepVariant } from './grid.js';

/** A sweep file, checked and with its defaults filled in. */
export interface SweepSpec {
  tasks: string[];
  /**
   * What every task runs, once per seed, in order: the mixers x the override sets (mixers
   * slowest), or the grid's anchors followed by its cross product.
   */
  variants: SweepVariant[];
  seeds: number[];
  preset: string;
  /** Results folder: every run writes to `<root>/<task>/<mixer>/<variant>/s<seed>`. */
  root: string;
  steps: number | null;
  backend: BackendRequest | null;
  dataDir: string | null;
  /** A partial config applied to every run, before its variant's overrides. */
  config: Record<string, unknown> | null;
  /** The grid the variants come from (its axes name the report's columns); null for the mixers form. */
  grid: GridSpec | null;
}

/** The override set a sweep without `overrides` runs: the preset (and file flags) unchanged. */
export const DEFAULT_OVERRIDE_NAME = 'base';

const backends: readonly BackendRequest[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];
const topKeys = ['tasks', 'mixers', 'seeds', 'preset', 'overrides', 'root', 'steps', 'backend', 'dataDir', 'config', 'grid', 'anchors'] as const;
const overrideKeys = ['name', 'set', 'config'] as const;

function parseOverride(value: unknown, i: number, origin: string): OverrideSet {
  const key = `overrides[${i}]`;
  if (!isPlainObject(value)) throw new ConfigError(key, `expected an object {name, set?, config?}, got ${describe(value)}`, origin);
  checkKeys(value, overrideKeys, key, origin);
  return {
    name: segmentName(value.name, `${key}.name`, origin),
    set: value.set === undefined ? [] : assignments(value.set, `${key}.set`, origin),
    config: value.config === undefined ? null : partialConfig(value.config, `${key}.config`, origin),
  };
}

/** The mixers form: every mixer with every override set, mixers slowest. */
function crossVariants(value: Record<string, unknown>, origin: string): SweepVariant[] {
  if (value.anchors !== undefined) throw new ConfigError('anchors', 'anchors go beside a grid; with mixers, list them in mixers', origin);
  const mixers = names(value.mixers, 'mixers', origin);
  let overrides: OverrideSet[] = [{ name: DEFAULT_OVERRIDE_NAME, set: [], config: null }];
  if (value.overrides !== undefined) {
    overrides = nonEmptyList(value.overrides, 'overrides', origin).map((o, i) => parseOverride(o, i, origin));
    distinct(overrides.map((o) => o.name), 'overrides (names)', origin);
  }
  return mixers.flatMap((mixer) => overrides.map((override) => ({ mixer, override, axes: null, anchor: false })));
}

/** The grid form: its anchors, then its cross product; two variants of one mixer may not share a name. */
function gridForm(value: Record<string, unknown>, origin: string): { grid: GridSpec; variants: SweepVariant[] } {
  for (const k of ['mixers', 'overrides'] as const)
    if (value[k] !== undefined) throw new ConfigError(k, 'a grid sweep names its mixer in grid.mixer and its reference mixers in anchors; give either mixers or grid', origin);
  const grid = parseGrid(value.grid, origin);
  const anchors = value.anchors === undefined ? [] : parseAnchors(value.anchors, origin);
  const variants = [...anchors, ...gridVariants(grid)];
  const seen = new Map<string, string>();
  variants.forEach((v, i) => {
    const id = `${v.mixer}/${v.override.name}`;
    const where = v.anchor ? `anchors[${i}]` : `grid (${Object.entries(v.axes ?? {}).map(([a, n]) => `${a}=${n}`).join(', ')})`;
    const first = seen.get(id);
    if (first !== undefined) throw new ConfigError(v.anchor ? where : 'grid.axes', `two variants are both named ${id}: ${first} and ${where}`, origin);
    seen.set(id, where);
  });
  return { grid, variants };
}

/**
 * Checks a parsed sweep file: unknown keys, wrong types, empty or repeated lists and names that
 * cannot be folder names are errors naming the file and the key, before anything runs.
 */
export function parseSweepSpec(value: unknown, origin: string): SweepSpec {
  if (!isPlainObject(value)) throw new ConfigError('', `expected a JSON object, got ${describe(value)}`, origin);
  checkKeys(value, topKeys, '', origin);
  for (const required of ['tasks', 'seeds', 'root'] as const)
    if (value[required] === undefined) throw new ConfigError(required, 'missing (a sweep names its tasks, mixers or grid, seeds and results root)', origin);
  if (value.mixers === undefined && value.grid === undefined) throw new ConfigError('mixers', 'missing (a sweep names its mixers, or a grid)', origin);

  const seeds = nonEmptyList(value.seeds, 'seeds', origin).map((s, i) => {
    // Seed 0 would mean "unseeded" to tfjs's random ops; the config forbids it too.
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 1) throw new ConfigError(`seeds[${i}]`, `expected an integer >= 1, got ${describe(s)}`, origin);
    return s;
  });
  const preset = value.preset ?? 'lra';
  if (typeof preset !== 'string' || !(presetNames as readonly string[]).includes(preset))
    throw new ConfigError('preset', `expected one of ${presetNames.join(', ')}, got ${describe(preset)}`, origin);
  if (typeof value.root !== 'string' || value.root.trim() === '') throw new ConfigError('root', `expected a folder path, got ${describe(value.root)}`, origin);

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
  const config = value.config === undefined ? null : partialConfig(value.config, 'config', origin);
  const tasks = names(value.tasks, 'tasks', origin);
  const form = value.grid === undefined ? { grid: null, variants: crossVariants(value, origin) } : gridForm(value, origin);

  return {
    tasks,
    variants: form.variants,
    seeds: distinct(seeds, 'seeds', origin),
    preset,
    root: value.root,
    steps,
    backend,
    dataDir,
    config,
    grid: form.grid,
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
