import { join } from 'node:path';
import type { ResolveRequest } from '../config/resolve.js';
import type { OverrideSet, SweepSpec } from './spec.js';

/** One run of a sweep: where it sits in the order, what it trains and where it writes. */
export interface SweepRun {
  /** Position in the sweep's order: the local pool's order, the Job completion index, the array task id. */
  index: number;
  /** `<task>/<mixer>/<variant>/s<seed>`: stable while the sweep's lists keep their entries. */
  id: string;
  task: string;
  mixer: string;
  /** The variant's name: its override set, or its grid axes' values joined with '-'. */
  override: string;
  /** A grid variant's value on each axis; null outside a grid. */
  axes: Record<string, string> | null;
  /** A grid's reference mixer. */
  anchor: boolean;
  seed: number;
  /** `<root>/<id>`: report.json, metrics.jsonl, config.json, checkpoints/ and train.log. */
  out: string;
  /** Exactly what the run's `lra train` resolves: checked up front, and turned into its arguments. */
  request: ResolveRequest;
}

/** Where a sweep's runs write, and which data folder they read, when the command line says otherwise. */
export interface ExpandOptions {
  root?: string;
  dataDir?: string;
}

/**
 * A partial config as `--set` assignments, one per leaf (free-form records recursed into, so an
 * override can change one mixer option and keep the others, as an experiment file does).
 */
export function configToSets(config: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(config).flatMap(([k, v]) => {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0)
      return configToSets(v as Record<string, unknown>, key);
    return [`${key}=${JSON.stringify(v)}`];
  });
}

/** The assignments of an override set in the order they apply: its config, then its `set`. */
export function overrideAssignments(o: OverrideSet): string[] {
  return [...(o.config ? configToSets(o.config) : []), ...o.set];
}

/** Number of runs: tasks x variants x seeds (for the mixers form, variants = mixers x override sets). */
export function sweepSize(spec: SweepSpec): number {
  return spec.tasks.length * spec.variants.length * spec.seeds.length;
}

/**
 * The index of a run from its coordinates: tasks vary slowest, then variants, and seeds fastest,
 * i = (t * V + v) * S + s, so the seeds of one setting are neighbours and the folders
 * `<task>/<mixer>/<variant>/s<seed>` nest in the same order. For the mixers form, variant
 * v = m * O + o (mixers slowest), which makes i = ((t * M + m) * O + o) * S + s.
 */
export function runIndex(spec: SweepSpec, t: number, v: number, s: number): number {
  return (t * spec.variants.length + v) * spec.seeds.length + s;
}

/** Run `index` alone, without expanding the others (what one cluster task needs). */
export function runAt(spec: SweepSpec, index: number, opts: ExpandOptions = {}): SweepRun {
  const n = sweepSize(spec);
  if (!Number.isInteger(index) || index < 0 || index >= n) throw new RangeError(`run index ${index} is outside the sweep (0 to ${n - 1})`);
  const S = spec.seeds.length;
  const V = spec.variants.length;
  const s = index % S;
  const v = Math.floor(index / S) % V;
  const t = Math.floor(index / (S * V));
  return makeRun(spec, index, t, v, s, opts);
}

/** Every run of the sweep, in index order. */
export function expandSweep(spec: SweepSpec, opts: ExpandOptions = {}): SweepRun[] {
  const runs: SweepRun[] = [];
  spec.tasks.forEach((_t, t) => spec.variants.forEach((_v, v) => spec.seeds.forEach((_s, s) => runs.push(makeRun(spec, runIndex(spec, t, v, s), t, v, s, opts)))));
  return runs;
}

function makeRun(spec: SweepSpec, index: number, t: number, v: number, s: number, opts: ExpandOptions): SweepRun {
  const task = spec.tasks[t]!;
  const variant = spec.variants[v]!;
  const { mixer, override } = variant;
  const seed = spec.seeds[s]!;
  const id = `${task}/${mixer}/${override.name}/s${seed}`;
  const out = join(opts.root ?? spec.root, task, mixer, override.name, `s${seed}`);
  const dataDir = opts.dataDir ?? spec.dataDir;
  const sets = [...(spec.config ? configToSets(spec.config) : []), ...overrideAssignments(override)];
  const request: ResolveRequest = {
    task,
    mixer,
    preset: spec.preset,
    seed,
    out,
    ...(spec.steps !== null ? { steps: spec.steps } : {}),
    ...(spec.backend !== null ? { backend: spec.backend } : {}),
    ...(dataDir !== null ? { dataDir } : {}),
    ...(sets.length > 0 ? { sets } : {}),
  };
  return { index, id, task, mixer, override: override.name, axes: variant.axes, anchor: variant.anchor, seed, out, request };
}
