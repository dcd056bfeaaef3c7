// The default run directory names what the run is: task, mixer, preset, every setting that the
// user changed from the preset (or an experiment file's name), and the seed. Two commands that
// train different things therefore never share a folder by default, and the same command always
// finds its own run again (--resume).
import { createHash } from 'node:crypto';
import { basename, extname, join } from 'node:path';

/** Keys that say where or how a run executes, not what it trains: they do not rename it. */
const NOT_NAMING = new Set(['seed', 'backend', 'out', 'data.dataDir', 'task', 'mixer', 'preset', 'description', '$comment']);

/** Past this many characters the list of changes becomes a short hash of them. */
const MAX_SUFFIX = 48;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Dotted paths of the leaves where `after` differs from `before`, with after's values, in key order. */
export function changedLeaves(before: unknown, after: unknown, prefix = ''): [string, unknown][] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => changedLeaves(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [[prefix, after]];
}

function valueTag(value: unknown): string | null {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'string' && value.length > 0 && value.length <= 24) return value.replace(/[^A-Za-z0-9.+_]/g, '_');
  return null; // arrays, objects, long strings: only a hash can name them
}

/**
 * `lr0.02-layers3` for train.lr=0.02 and model.layers=3: the leaf name and the value, the dotted
 * path (dots as `_`) where two changes share a leaf name; a hash where that would be unreadable.
 */
export function changeTag(changes: [string, unknown][]): string {
  if (changes.length === 0) return '';
  const leafCounts = new Map<string, number>();
  for (const [path] of changes) {
    const leaf = path.split('.').pop()!;
    leafCounts.set(leaf, (leafCounts.get(leaf) ?? 0) + 1);
  }
  const parts: string[] = [];
  for (const [path, value] of changes) {
    const leaf = path.split('.').pop()!;
    const tag = valueTag(value);
    if (tag === null) return hashTag(changes);
    parts.push(`${leafCounts.get(leaf)! > 1 ? path.replace(/\./g, '_') : leaf}${tag}`);
  }
  const joined = parts.join('-');
  return joined.length <= MAX_SUFFIX ? joined : hashTag(changes);
}

function hashTag(changes: [string, unknown][]): string {
  return `cfg${createHash('sha256').update(JSON.stringify(changes)).digest('hex').slice(0, 8)}`;
}

export interface RunNameParts {
  task: string;
  mixer: string;
  preset: string;
  seed: number;
  /** An experiment file given with --config (not the lra preset's own file). */
  configFile?: string | undefined;
  /** The config before the user's changes (defaults <- preset <- the preset's own experiment file). */
  baseline: unknown;
  /** The config the user asked for, without the default out. */
  resolved: unknown;
}

/** runs/<task>-<mixer>-<preset>[-<file>][-<changes>]-s<seed>. */
export function defaultRunDir(parts: RunNameParts): string {
  const changes = changedLeaves(parts.baseline, parts.resolved).filter(([path]) => !NOT_NAMING.has(path));
  const tags = [parts.task, parts.mixer, parts.preset];
  if (parts.configFile) tags.push(basename(parts.configFile, extname(parts.configFile)).replace(/[^A-Za-z0-9.+_-]/g, '_'));
  const changed = changeTag(changes);
  if (changed) tags.push(changed);
  tags.push(`s${parts.seed}`);
  return join('runs', tags.join('-'));
}
