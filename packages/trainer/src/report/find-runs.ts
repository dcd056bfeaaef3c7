import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { ExperimentConfig } from '../config/types.js';
import { lastStep, readMetrics } from './metrics-file.js';
import type { RunReport } from './report.js';

export interface FinishedRun {
  dir: string;
  report: RunReport;
}

/** A run folder without a usable report.json: still training, killed, or its report unreadable. */
export interface UnfinishedRun {
  dir: string;
  task: string | null;
  mixer: string | null;
  preset: string | null;
  seed: number | null;
  /** The last step recorded in metrics.jsonl, if any. */
  lastStep: number | null;
  steps: number | null;
  reason: string;
}

export interface FoundRuns {
  finished: FinishedRun[];
  unfinished: UnfinishedRun[];
}

/** A folder is a run when the training loop has written one of its files there. */
function isRunDir(dir: string): boolean {
  return existsSync(join(dir, 'report.json')) || existsSync(join(dir, 'config.json'));
}

/**
 * Run folders under each root: the root itself when it is one (or its report.json was named),
 * else every run folder below it, recursively (a sweep's results folder). A run folder's own
 * subfolders (checkpoints/, plots/) are not searched. Sorted, each folder once.
 */
export function findRunDirs(roots: readonly string[]): string[] {
  const seen = new Set<string>();
  const found: string[] = [];
  const visit = (dir: string): void => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      return;
    }
    if (seen.has(real)) return; // a link back up the tree, or a root named twice
    seen.add(real);
    if (isRunDir(dir)) {
      found.push(dir);
      return;
    }
    const names = readdirSync(dir).filter((n) => !n.startsWith('.') && n !== 'node_modules').sort();
    for (const name of names) {
      const child = join(dir, name);
      try {
        if (statSync(child).isDirectory()) visit(child);
      } catch {
        // a dangling link: nothing to read there
      }
    }
  };
  for (const root of roots) {
    if (!existsSync(root)) throw new Error(`${root}: no such file or folder (RUNS are run folders or folders that contain them)`);
    const abs = resolve(root);
    if (statSync(abs).isFile()) {
      if (basename(abs) !== 'report.json') throw new Error(`${root}: not a folder or a report.json`);
      visit(dirname(abs));
    } else visit(abs);
  }
  return found;
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** The fields a leaderboard needs; a report.json without them is treated as unreadable. */
function checkReport(r: RunReport): string | null {
  const missing: string[] = [];
  if (typeof r.task !== 'string') missing.push('task');
  if (typeof r.mixer !== 'string') missing.push('mixer');
  if (typeof r.metrics?.test?.accuracy !== 'number') missing.push('metrics.test.accuracy');
  if (typeof r.config !== 'object' || r.config === null) missing.push('config');
  return missing.length > 0 ? `report.json lacks ${missing.join(', ')}` : null;
}

function unfinished(dir: string, reason: string): UnfinishedRun {
  let config: Partial<ExperimentConfig> | null = null;
  try {
    config = readJson<Partial<ExperimentConfig>>(join(dir, 'config.json'));
  } catch {
    config = null;
  }
  return {
    dir,
    task: typeof config?.task === 'string' ? config.task : null,
    mixer: typeof config?.mixer === 'string' ? config.mixer : null,
    preset: typeof config?.preset === 'string' ? config.preset : null,
    seed: typeof config?.seed === 'number' ? config.seed : null,
    lastStep: lastStep(readMetrics(join(dir, 'metrics.jsonl'))),
    steps: typeof config?.train?.steps === 'number' ? config.train.steps : null,
    reason,
  };
}

/** Reads every run under the roots: finished ones with their report, the others with why not. */
export function loadRuns(roots: readonly string[]): FoundRuns {
  const out: FoundRuns = { finished: [], unfinished: [] };
  for (const dir of findRunDirs(roots)) {
    const path = join(dir, 'report.json');
    if (!existsSync(path)) {
      out.unfinished.push(unfinished(dir, 'no report.json'));
      continue;
    }
    let report: RunReport;
    try {
      report = readJson<RunReport>(path);
    } catch (err) {
      out.unfinished.push(unfinished(dir, `report.json unreadable: ${(err as Error).message}`));
      continue;
    }
    const problem = checkReport(report);
    if (problem) out.unfinished.push(unfinished(dir, problem));
    else out.finished.push({ dir, report });
  }
  return out;
}
