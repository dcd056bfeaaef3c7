import { existsSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';
import type { SweepRun } from './expand.js';
import type { SweepFile } from './spec.js';

/** The file a sweep leaves in its results root, naming each run folder's variant. */
export const MANIFEST_FILE = 'sweep.json';
const FORMAT = 'lra-sweep-manifest/1';

export interface ManifestVariant {
  /** `<mixer>/<name>`. */
  id: string;
  mixer: string;
  name: string;
  /** A grid variant's value on each axis; null outside a grid. */
  axes: Record<string, string> | null;
  anchor: boolean;
}

export interface ManifestRun {
  index: number;
  id: string;
  task: string;
  /** The variant's id, `<mixer>/<name>`. */
  variant: string;
  seed: number;
  /** The run folder relative to the root, with '/' separators, so the root can move. */
  dir: string;
}

/**
 * What `lra report --ablation` needs to know of a sweep that report.json files do not say: which
 * variant each folder is, the grid's axes, and which mixers are anchors.
 */
export interface SweepManifest {
  format: typeof FORMAT;
  file: string;
  description: string | null;
  preset: string;
  tasks: string[];
  seeds: number[];
  grid: { mixer: string; axes: Array<{ name: string; values: string[] }> } | null;
  variants: ManifestVariant[];
  runs: ManifestRun[];
}

function description(text: string): string | null {
  try {
    const d = (JSON.parse(text) as { description?: unknown }).description;
    return typeof d === 'string' ? d : null;
  } catch {
    return null;
  }
}

/** The manifest of a whole sweep; `runs` must be its full expansion under `root`. */
export function buildManifest(file: SweepFile, runs: readonly SweepRun[], root: string): SweepManifest {
  const { spec } = file;
  return {
    format: FORMAT,
    file: file.path,
    description: description(file.text),
    preset: spec.preset,
    tasks: spec.tasks,
    seeds: spec.seeds,
    grid: spec.grid ? { mixer: spec.grid.mixer, axes: spec.grid.axes.map((a) => ({ name: a.name, values: a.values.map((v) => v.name) })) } : null,
    variants: spec.variants.map((v) => ({ id: `${v.mixer}/${v.override.name}`, mixer: v.mixer, name: v.override.name, axes: v.axes, anchor: v.anchor })),
    runs: runs.map((r) => ({ index: r.index, id: r.id, task: r.task, variant: `${r.mixer}/${r.override}`, seed: r.seed, dir: relative(root, r.out).split(sep).join('/') })),
  };
}

/**
 * Writes `<root>/sweep.json` atomically. Every process of a sweep (each cluster task too) writes
 * the same content, so concurrent writers only replace it with itself.
 */
export async function writeManifest(root: string, manifest: SweepManifest): Promise<string> {
  const path = join(root, MANIFEST_FILE);
  await writeJsonAtomic(path, manifest);
  return path;
}

/** The manifest in `root`, or null when there is none; a file of another kind is an error. */
export function readManifest(root: string): SweepManifest | null {
  const path = join(root, MANIFEST_FILE);
  if (!existsSync(path)) return null;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
  const m = value as Partial<SweepManifest>;
  if (m.format !== FORMAT || !Array.isArray(m.variants) || !Array.isArray(m.runs))
    throw new Error(`${path}: not a sweep manifest (expected "format": "${FORMAT}" with variants and runs)`);
  return m as SweepManifest;
}
