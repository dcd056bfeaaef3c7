import { deepMerge } from '../config/merge.js';
import { ConfigError } from '../config/schema.js';
import { configToSets } from './expand.js';
import { annotationKeys, assignments, checkKeys, describe, isPlainObject, nonEmptyList, partialConfig, segmentName } from './spec-checks.js';

/** One named set of config overrides: `--set` assignments and/or a partial config. */
export interface OverrideSet {
  name: string;
  /** `key=value` assignments, as `lra train --set` takes them; applied after `config`. */
  set: string[];
  /** A partial config (the keys of config.json), checked as strictly as an experiment file. */
  config: Record<string, unknown> | null;
}

/** What one task of a sweep runs, once per seed: a mixer with an override set. */
export interface SweepVariant {
  mixer: string;
  /** Its name is the variant's folder under the mixer (`<task>/<mixer>/<name>/s<seed>`). */
  override: OverrideSet;
  /** A grid variant's value on each axis (axis name -> value name); null outside a grid. */
  axes: Record<string, string> | null;
  /** A reference mixer run beside a grid, outside its cross product. */
  anchor: boolean;
}

export interface GridAxis {
  name: string;
  values: Array<{ name: string; config: Record<string, unknown> }>;
}

/** A cross product of named config fragments applied to one mixer. */
export interface GridSpec {
  mixer: string;
  /** Applied to every grid variant before the axes' fragments. */
  config: Record<string, unknown> | null;
  /** In the file's order: the first axis varies slowest. */
  axes: GridAxis[];
}

const gridKeys = ['mixer', 'config', 'axes'] as const;
const anchorKeys = ['mixer', 'name', 'config', 'set'] as const;

/** The name of the variant an anchor runs when the file gives it none. */
export const ANCHOR_DEFAULT_NAME = 'base';

/** Entries of a JSON object except the annotation keys, which are for people. */
function namedEntries(obj: Record<string, unknown>): Array<[string, unknown]> {
  return Object.entries(obj).filter(([k]) => !annotationKeys.includes(k));
}

function parseAxis(name: string, value: unknown, origin: string): GridAxis {
  const key = `grid.axes.${name}`;
  segmentName(name, key, origin);
  if (!isPlainObject(value)) throw new ConfigError(key, `expected an object of named config fragments ({"value": {...}}), got ${describe(value)}`, origin);
  const entries = namedEntries(value);
  if (entries.length === 0) throw new ConfigError(key, 'an axis needs at least one value', origin);
  return { name, values: entries.map(([v, fragment]) => ({ name: segmentName(v, `${key}.${v}`, origin), config: partialConfig(fragment, `${key}.${v}`, origin) })) };
}

/** The dotted keys an axis sets, over all its values. */
function axisKeys(axis: GridAxis): Set<string> {
  return new Set(axis.values.flatMap((v) => configToSets(v.config).map((a) => a.slice(0, a.indexOf('=')))));
}

/**
 * Checks a sweep file's `grid`: its mixer, a common fragment and named axes whose values are
 * partial configs. Two axes may not set the same key, so that every combination means one thing
 * whatever the order the fragments merge in.
 */
export function parseGrid(value: unknown, origin: string): GridSpec {
  if (!isPlainObject(value)) throw new ConfigError('grid', `expected an object {mixer, axes, config?}, got ${describe(value)}`, origin);
  checkKeys(value, gridKeys, 'grid', origin);
  if (value.mixer === undefined) throw new ConfigError('grid.mixer', 'missing (the mixer the grid varies)', origin);
  const mixer = segmentName(value.mixer, 'grid.mixer', origin);
  const config = value.config === undefined ? null : partialConfig(value.config, 'grid.config', origin);
  if (value.axes === undefined) throw new ConfigError('grid.axes', 'missing (named axes of config fragments)', origin);
  if (!isPlainObject(value.axes)) throw new ConfigError('grid.axes', `expected an object of named axes, got ${describe(value.axes)}`, origin);
  const axes = namedEntries(value.axes).map(([name, values]) => parseAxis(name, values, origin));
  if (axes.length === 0) throw new ConfigError('grid.axes', 'must name at least one axis', origin);
  const owner = new Map<string, string>();
  for (const axis of axes) {
    for (const k of axisKeys(axis)) {
      const other = owner.get(k);
      if (other !== undefined) throw new ConfigError(`grid.axes.${axis.name}`, `sets ${k}, which axis "${other}" sets too`, origin);
      owner.set(k, axis.name);
    }
  }
  return { mixer, config, axes };
}

/** The grid's cross product, first axis slowest; a variant is named by its values joined with '-'. */
export function gridVariants(grid: GridSpec): SweepVariant[] {
  let combos: Array<GridAxis['values']> = [[]];
  for (const axis of grid.axes) combos = combos.flatMap((c) => axis.values.map((v) => [...c, v]));
  return combos.map((values) => {
    const config = values.reduce<Record<string, unknown>>((acc, v) => deepMerge(acc, v.config), grid.config ?? {});
    return {
      mixer: grid.mixer,
      override: { name: values.map((v) => v.name).join('-'), set: [], config: Object.keys(config).length > 0 ? config : null },
      axes: Object.fromEntries(grid.axes.map((axis, i) => [axis.name, values[i]!.name])),
      anchor: false,
    };
  });
}

function parseAnchor(value: unknown, i: number, origin: string): SweepVariant {
  const key = `anchors[${i}]`;
  const plain = (mixer: string, override: OverrideSet): SweepVariant => ({ mixer, override, axes: null, anchor: true });
  if (typeof value === 'string') return plain(segmentName(value, key, origin), { name: ANCHOR_DEFAULT_NAME, set: [], config: null });
  if (!isPlainObject(value)) throw new ConfigError(key, `expected a mixer name or {mixer, name?, config?, set?}, got ${describe(value)}`, origin);
  checkKeys(value, anchorKeys, key, origin);
  if (value.mixer === undefined) throw new ConfigError(`${key}.mixer`, 'missing', origin);
  return plain(segmentName(value.mixer, `${key}.mixer`, origin), {
    name: value.name === undefined ? ANCHOR_DEFAULT_NAME : segmentName(value.name, `${key}.name`, origin),
    set: value.set === undefined ? [] : assignments(value.set, `${key}.set`, origin),
    config: value.config === undefined ? null : partialConfig(value.config, `${key}.config`, origin),
  });
}

/** A grid's reference mixers: names (run as the preset has them) or {mixer, name?, config?, set?}. */
export function parseAnchors(value: unknown, origin: string): SweepVariant[] {
  return nonEmptyList(value, 'anchors', origin).map((a, i) => parseAnchor(a, i, origin));
}
