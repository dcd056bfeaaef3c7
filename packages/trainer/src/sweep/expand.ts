import { join } from 'node:path';
import type { ResolveRequest } from '../config/resolve.js';
import type { OverrideSet, SweepSpec } from './spec.js';

/** One run of a sweep: where it sits in the order, what it trains and where it writes. */
export interface SweepRun {
  /** Position in the sweep's order: the local pool's order, the Job completion index, the array task id. */
  index: number;
  /** `<task>/<mixer>/<override>/s<seed>`: stable while the sweep's lists keep their entries. */
  id: string;
  task: string;
  mixer: string;
  override: string;
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

/** Number of runs: tasks x mixers x overrides x seeds. */
export function sweepSize(spec: SweepSpec): number {
  return spec.tasks.length * spec.mixers.length * spec.overrides.length * spec.seeds.length;
}

/**
 * The index of a run from its coordinates: tasks vary slowest, then mixers, then override sets,
 * and seeds fastest, i = ((t * M + m) * O + o) * S + s, so the seeds of one setting are neighbours
 * and the folders `<task>/<mixer>/<override>/s<seed>` nest in the same order.
 */
export function runIndex(spec: SweepSpec, t: number, m: number, o: number, s: number): number {
  return ((t * spec.mixers.length + m) * spec.overrides.length + o) * spec.seeds.length + s;
}

/** Run `index` alone, without expanding the others (what one cluster task needs). */
export function runAt(spec: SweepSpec, index: number, opts: ExpandOptions = {}): SweepRun {
  const n = sweepSize(spec);
  if (!Number.isInteger(index) || index < 0 || index >= n) throw new RangeError(`run index ${index} is outside the sweep (0 to ${n - 1})`);
  const S = spec.seeds.length;
  const O = spec.overrides.length;
  const M = spec.mixers.length;
  const s = index % S;
  const o = Math.floor(index / S) % O;
  const m = Math.floor(index / (S * O)) % M;
  const t = Math.floor(index / (S * O * M));
  return makeRun(spec, index, t, m, o, s, opts);
}

/** Every run of the sweep, in index order. */
export function expandSweep(spec: SweepSpec, opts: ExpandOptions = {}): SweepRun[] {
  const runs: SweepRun[] = [];
  spec.tasks.forEach((_t, t) =>
    spec.mixers.forEach((_m, m) =>
      spec.overrides.forEach((_o, o) => spec.seeds.forEach((_s, s) => runs.push(makeRun(spec, runIndex(spec, t, m, o, s), t, m, o, s, opts)))),
    ),
  );
  return runs;
}

function makeRun(spec: SweepSpec, index: number, t: number, m: number, o: number, s: number, opts: ExpandOptions): SweepRun {
  const task = spec.tasks[t]!;
  const mixer = spec.mixers[m]!;
  const override = spec.overrides[o]!;
  const seed = spec.seeds[s]!;
  const id = `${task}/${mixer}/${override.name}/s${seed}`;
  const out = join(opts.root ?? spec.root, task, mixer, override.name, `s${seed}`);
  const dataDir = opts.dataDir ?? spec.dataDir;
  const sets = overrideAssignments(override);
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
  return { index, id, task, mixer, override: override.name, seed, out, request };
}
