import { getTask } from '@lra/data';
import { validateClassifierConfig } from '@lra/models';
import { existsSync, readFileSync } from 'node:fs';
import { resolveConfig } from '../config/resolve.js';
import type { ExperimentConfig } from '../config/types.js';
import { classifierConfig } from '../train/model-config.js';
import { RunFiles } from '../train/run-files.js';
import type { SweepRun } from './expand.js';

/** What the pool does with a run: nothing (its report exists), continue it, or start it. */
export type RunAction = 'skip' | 'resume' | 'start';

export interface PlannedRun {
  run: SweepRun;
  config: ExperimentConfig;
  action: RunAction;
}

/** A sweep that cannot run as written: every problem found, one line each, before any work starts. */
export class SweepError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0]! : `${problems.length} problems:\n  ${problems.join('\n  ')}`);
    this.name = 'SweepError';
  }
}

/** Dotted keys where two configs differ (`out` left to the caller). */
export function configDifferences(a: unknown, b: unknown, prefix = ''): string[] {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => configDifferences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix || '(root)'];
}

/**
 * The action for one run from what its folder holds. A folder written with other settings (the
 * sweep file changed since) is an error rather than a silent skip of a stale result or a resume
 * that the training loop would refuse half-way through the sweep.
 */
export function actionFor(run: SweepRun, config: ExperimentConfig): RunAction {
  const files = new RunFiles(run.out);
  const hasReport = existsSync(files.report);
  const hasCheckpoint = existsSync(files.lastCheckpoint);
  if (!hasReport && !hasCheckpoint) return 'start';
  let saved: unknown;
  try {
    saved = JSON.parse(readFileSync(hasReport ? files.report : files.config, 'utf8'));
  } catch (err) {
    throw new Error(`${run.out}: ${hasReport ? 'report.json' : 'config.json'} is unreadable (${(err as Error).message}); remove the folder to run it again`);
  }
  const savedConfig = hasReport ? (saved as { config?: unknown }).config : saved;
  // A finished run may have been written under another path to the same folder; a resumed one
  // must match exactly, as the training loop compares `out` too.
  const diff = configDifferences(savedConfig, config).filter((k) => k !== 'out' || !hasReport);
  if (diff.length > 0)
    throw new Error(`${run.out} holds a ${hasReport ? 'finished' : 'started'} run with other settings (${diff.join(', ')}); remove it, or give the sweep another root`);
  return hasReport ? 'skip' : 'resume';
}

/**
 * Resolves every run's config exactly as its `lra train` will, and checks the model it describes
 * (mixer options, lengths) as `lra train` does before training: a bad task, mixer, key or value
 * anywhere fails the whole sweep here, naming the runs at fault, before any work starts.
 */
export function resolveRuns(runs: readonly SweepRun[]): Array<{ run: SweepRun; config: ExperimentConfig }> {
  const problems: string[] = [];
  const resolved: Array<{ run: SweepRun; config: ExperimentConfig }> = [];
  const seen = new Set<string>();
  for (const run of runs) {
    try {
      const { config } = resolveConfig(run.request);
      validateClassifierConfig(classifierConfig(config, getTask(config.task)));
      resolved.push({ run, config });
    } catch (err) {
      const message = (err as Error).message;
      // One bad mixer name would otherwise repeat for every seed and override of it.
      if (!seen.has(message)) problems.push(`run ${run.index} (${run.id}): ${message}`);
      seen.add(message);
    }
  }
  if (problems.length > 0) throw new SweepError(problems);
  return resolved;
}

/** resolveRuns, then what to do with each run given what its folder holds. */
export function planRuns(runs: readonly SweepRun[]): PlannedRun[] {
  const resolved = resolveRuns(runs);
  const problems: string[] = [];
  const planned: PlannedRun[] = [];
  for (const { run, config } of resolved) {
    try {
      planned.push({ run, config, action: actionFor(run, config) });
    } catch (err) {
      problems.push(`run ${run.index} (${run.id}): ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new SweepError(problems);
  return planned;
}
