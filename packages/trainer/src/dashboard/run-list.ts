// The dashboard's list of runs: every run folder under RUNS with what it is (task, mixer, preset,
// seed), how far it got, its accuracies and speed, whether it finished, is training now, or
// stopped without a report, and the files the page links to.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { ExperimentConfig } from '../config/types.js';
import { findRunDirs } from '../report/find-runs.js';
import { lastStep, type RunMetrics } from '../report/metrics-file.js';
import type { RunReport } from '../report/report.js';
import { RUN_LOCK_FILE } from '../train/run-lock.js';
import { liveOwner } from '../util/file-lock.js';
import type { MetricsCache } from './metrics-cache.js';

/** finished: report.json written; running: a live process holds run.lock; failed: neither (killed, crashed, diverged). */
export type RunStatus = 'finished' | 'running' | 'failed';

export interface DashboardRun {
  /** The folder relative to RUNS, '/'-separated ('.' when RUNS is itself a run): the run's name in URLs. */
  id: string;
  task: string | null;
  mixer: string | null;
  preset: string | null;
  seed: number | null;
  /** train.steps of the config: the step the run ends at. */
  steps: number | null;
  /** The last step metrics.jsonl records. */
  lastStep: number | null;
  /** lastStep / steps, from 0 to 1 (1 once finished); null without both. */
  progress: number | null;
  /** Fractions, as in report.json. */
  bestValAccuracy: number | null;
  lastValAccuracy: number | null;
  testAccuracy: number | null;
  /** The report's timed speed once finished; the last logged window's while training. */
  stepsPerSec: number | null;
  status: RunStatus;
  /** When metrics.jsonl last changed (ISO 8601), null without one. */
  updatedAt: string | null;
  /** Files of the run the page links to, relative to the run folder: reports, plots, analysis. */
  files: string[];
}

/** The files worth a link, in the order the page lists them. */
const TOP_FILES = ['report.md', 'report.json', 'config.json', 'metrics.jsonl'];
const LINKED_FOLDERS = ['plots', 'analysis'];

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false; // removed since it was listed: a run starting over, an analysis being rewritten
  }
}

function linkedFiles(dir: string): string[] {
  const files = TOP_FILES.filter((f) => existsSync(join(dir, f)));
  for (const folder of LINKED_FOLDERS) {
    let names: string[];
    try {
      names = readdirSync(join(dir, folder)).sort();
    } catch {
      continue;
    }
    // Temporary files of an atomic write in progress are not worth a link.
    for (const name of names) if (!name.includes('.tmp-') && isFile(join(dir, folder, name))) files.push(`${folder}/${name}`);
  }
  return files;
}

function finite(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function summarise(metrics: RunMetrics): { best: number | null; last: number | null; stepsPerSec: number | null } {
  const val = metrics.val.map((r) => r.accuracy).filter(Number.isFinite);
  return {
    best: val.length > 0 ? Math.max(...val) : null,
    last: val.length > 0 ? val[val.length - 1]! : null,
    stepsPerSec: finite(metrics.train.at(-1)?.stepsPerSec),
  };
}

export function runId(root: string, dir: string): string {
  const rel = relative(root, dir);
  return rel === '' ? '.' : rel.split(sep).join('/');
}

async function describeRun(root: string, dir: string, cache: MetricsCache): Promise<DashboardRun> {
  const report = readJson<RunReport>(join(dir, 'report.json'));
  const finished = report !== null && typeof report.metrics?.test?.accuracy === 'number';
  const config = (finished ? report.config : null) ?? readJson<Partial<ExperimentConfig>>(join(dir, 'config.json'));
  const { metrics, mtimeMs } = cache.read(join(dir, 'metrics.jsonl'));
  const seen = summarise(metrics);
  const steps = finite(config?.train?.steps);
  const last = lastStep(metrics);
  const status: RunStatus = finished ? 'finished' : (await liveOwner(join(dir, RUN_LOCK_FILE))) !== null ? 'running' : 'failed';
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return {
    id: runId(root, dir),
    task: str(config?.task),
    mixer: str(config?.mixer),
    preset: str(config?.preset),
    seed: finite(config?.seed),
    steps,
    lastStep: last,
    progress: finished ? 1 : steps !== null && steps > 0 && last !== null ? Math.min(1, last / steps) : null,
    bestValAccuracy: finished ? finite(report.metrics.best?.valAccuracy) ?? seen.best : seen.best,
    lastValAccuracy: seen.last,
    testAccuracy: finished ? report.metrics.test.accuracy : null,
    stepsPerSec: finished ? finite(report.speed?.stepsPerSec) ?? seen.stepsPerSec : seen.stepsPerSec,
    status,
    updatedAt: mtimeMs === null ? null : new Date(mtimeMs).toISOString(),
    files: linkedFiles(dir),
  };
}

/** Every run folder under `root` (see findRunDirs), sorted by id. */
export async function listRuns(root: string, cache: MetricsCache): Promise<DashboardRun[]> {
  const runs: DashboardRun[] = [];
  for (const dir of findRunDirs([root])) runs.push(await describeRun(root, dir, cache));
  return runs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
