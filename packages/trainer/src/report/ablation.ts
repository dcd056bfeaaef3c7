import { relative, sep } from 'node:path';
import { type ManifestRun, type SweepManifest, readManifest } from '../sweep/manifest.js';
import { configHash } from './config-hash.js';
import { type FinishedRun, type FoundRuns, loadRuns } from './find-runs.js';
import type { SeedStats } from './leaderboard.js';
import { mean, median, sampleStd } from './sample-stats.js';

/** One variant of an ablation (a grid point or an anchor mixer) over its seeds. */
export interface AblationRow {
  /** `<mixer>/<name>`, the run folders' `<mixer>/<variant>`. */
  id: string;
  mixer: string;
  name: string;
  /** Its value on each grid axis; null for anchors and runs outside a grid. */
  axes: Record<string, string> | null;
  anchor: boolean;
  /** Runs the sweep holds for this variant on this task; null without a manifest. */
  expectedRuns: number | null;
  seeds: number[];
  runDirs: string[];
  params: number[];
  /** Test accuracy (%) of each run's best validation checkpoint. */
  testAccuracy: SeedStats;
  bestValAccuracy: SeedStats;
  /** Mean over seeds of each run's steps/s. */
  stepsPerSec: number;
  /** Median over seeds of each run's median ms per training step. */
  msPerStep: number;
  backends: string[];
  warnings: string[];
}

export interface AblationTable {
  task: string;
  preset: string | null;
  /** The grid's mixer and axis names (the table's columns), in the sweep file's order. */
  gridMixer: string | null;
  axes: string[];
  /** Ranked: mean test accuracy, highest first; variants without finished runs last, in sweep order. */
  rows: AblationRow[];
  /** Mean majority-class rate of the test split over the finished runs, %; null without runs. */
  majorityRate: number | null;
}

export interface Ablation {
  root: string;
  /** Whether the sweep's manifest (sweep.json) named the variants; else they come from folder names. */
  fromManifest: boolean;
  sweepFile: string | null;
  description: string | null;
  conventions: { accuracy: string; spread: string; speed: string; order: string };
  tables: AblationTable[];
  /** Run folders without a usable report.json (runs still to come, stopped or failed). */
  unfinished: Array<{ dir: string; reason: string }>;
  /** Finished runs under the root that the manifest does not list (e.g. from an older sweep file). */
  unlisted: string[];
}

export const ABLATION_CONVENTIONS: Ablation['conventions'] = {
  accuracy: "test accuracy of each run's best validation checkpoint, in %",
  spread: 'mean ± sample standard deviation (denominator n - 1) over seeds; n = finished runs; no deviation for n = 1',
  speed: "steps/s: mean over seeds of each run's rate after warm-up; ms/step: median over seeds of each run's median step time",
  order: 'variants ranked by mean test accuracy, highest first; variants without finished runs last',
};

function seedStats(values: number[]): SeedStats {
  return { mean: mean(values), std: sampleStd(values), n: values.length, values };
}

const uniqueSorted = <T extends string | number>(xs: T[]): T[] => [...new Set(xs)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

function posixRelative(root: string, dir: string): string {
  return relative(root, dir).split(sep).join('/');
}

interface Assigned {
  task: string;
  variant: string;
  run: FinishedRun;
}

/** Without a manifest: `<task>/<mixer>/<variant>/s<seed>` folders name their variant. */
function variantFromPath(rel: string, run: FinishedRun): string {
  const parts = rel.split('/');
  return parts.length >= 3 ? `${parts[parts.length - 3]}/${parts[parts.length - 2]}` : `${run.report.mixer}/${parts.length === 2 ? parts[0] : 'base'}`;
}

function buildRow(id: string, meta: { axes: Record<string, string> | null; anchor: boolean } | null, expected: number | null, runs: FinishedRun[]): AblationRow {
  const sorted = [...runs].sort((a, b) => a.report.seed - b.report.seed || a.dir.localeCompare(b.dir));
  const slash = id.indexOf('/');
  const warnings: string[] = [];
  const hashes = uniqueSorted(sorted.map((r) => configHash(r.report.config, r.report.data?.variant ?? null)));
  if (hashes.length > 1) warnings.push(`its runs differ in settings other than the seed (config hashes ${hashes.join(', ')}): the sweep file changed between runs`);
  return {
    id,
    mixer: id.slice(0, slash),
    name: id.slice(slash + 1),
    axes: meta?.axes ?? null,
    anchor: meta?.anchor ?? false,
    expectedRuns: expected,
    seeds: sorted.map((r) => r.report.seed),
    runDirs: sorted.map((r) => r.dir),
    params: uniqueSorted(sorted.map((r) => r.report.params)),
    testAccuracy: seedStats(sorted.map((r) => r.report.metrics.test.accuracy * 100)),
    bestValAccuracy: seedStats(sorted.map((r) => r.report.metrics.best.valAccuracy * 100)),
    stepsPerSec: mean(sorted.map((r) => r.report.speed.stepsPerSec)),
    msPerStep: median(sorted.map((r) => r.report.speed.msPerStep.median)),
    backends: uniqueSorted(sorted.map((r) => r.report.backend)),
    warnings,
  };
}

function rank(rows: AblationRow[], order: Map<string, number>): AblationRow[] {
  const withRuns = rows.filter((r) => r.testAccuracy.n > 0).sort((a, b) => b.testAccuracy.mean - a.testAccuracy.mean || a.id.localeCompare(b.id));
  const without = rows.filter((r) => r.testAccuracy.n === 0).sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  return [...withRuns, ...without];
}

/** The ablation tables (one per task) of the runs found under `root`, as `manifest` names them. */
export function buildAblation(root: string, found: FoundRuns, manifest: SweepManifest | null): Ablation {
  const byDir = new Map<string, ManifestRun>((manifest?.runs ?? []).map((r) => [r.dir, r]));
  const assigned: Assigned[] = [];
  const unlisted: string[] = [];
  for (const run of found.finished) {
    const rel = posixRelative(root, run.dir);
    if (manifest) {
      const m = byDir.get(rel);
      if (m) assigned.push({ task: m.task, variant: m.variant, run });
      else unlisted.push(run.dir);
    } else assigned.push({ task: run.report.task, variant: variantFromPath(rel, run), run });
  }

  const meta = new Map((manifest?.variants ?? []).map((v) => [v.id, v]));
  const order = new Map((manifest?.variants ?? []).map((v, i) => [v.id, i]));
  const tasks = manifest ? manifest.tasks : uniqueSorted(assigned.map((a) => a.task));
  const tables = tasks.map((task): AblationTable => {
    const mine = assigned.filter((a) => a.task === task);
    const ids = manifest ? manifest.variants.map((v) => v.id) : uniqueSorted(mine.map((a) => a.variant));
    const rows = ids.map((id) => {
      const expected = manifest ? manifest.runs.filter((r) => r.task === task && r.variant === id).length : null;
      return buildRow(id, meta.get(id) ?? null, expected, mine.filter((a) => a.variant === id).map((a) => a.run));
    });
    const finished = mine.map((a) => a.run.report);
    return {
      task,
      preset: manifest?.preset ?? (finished.length > 0 ? uniqueSorted(finished.map((r) => r.preset)).join(', ') : null),
      gridMixer: manifest?.grid?.mixer ?? null,
      axes: manifest?.grid?.axes.map((a) => a.name) ?? [],
      rows: rank(rows, order),
      majorityRate: finished.length > 0 ? mean(finished.map((r) => r.metrics.test.majorityRate * 100)) : null,
    };
  });
  return {
    root,
    fromManifest: manifest !== null,
    sweepFile: manifest?.file ?? null,
    description: manifest?.description ?? null,
    conventions: ABLATION_CONVENTIONS,
    tables,
    unfinished: found.unfinished.map((u) => ({ dir: u.dir, reason: u.lastStep === null ? u.reason : `${u.reason} (step ${u.lastStep}${u.steps === null ? '' : ` of ${u.steps}`})` })),
    unlisted: unlisted.sort(),
  };
}

/** Reads a sweep's results folder: its manifest when there is one, and every run under it. */
export function loadAblation(root: string): Ablation {
  const manifest = readManifest(root);
  const found = loadRuns([root]);
  if (!manifest && found.finished.length === 0 && found.unfinished.length === 0)
    throw new Error(`${root}: no sweep manifest (sweep.json) and no runs (an ablation report reads a sweep's results folder)`);
  return buildAblation(root, found, manifest);
}
