// What `lra train` may do with the run directory it is given, decided from what the directory
// holds before anything in it is written: a finished or started run is never deleted unless
// --overwrite asks for it, and --resume of a finished run changes nothing.
import { existsSync, readFileSync } from 'node:fs';
import type { ExperimentConfig } from '../config/types.js';
import type { RunReport } from '../report/report.js';
import type { RunFiles } from './run-files.js';

export interface RunStartFlags {
  resume?: boolean | undefined;
  overwrite?: boolean | undefined;
}

export type RunStartKind =
  /** Nothing of value there: start from step 0. `replacing` says what --overwrite deletes. */
  | { kind: 'fresh'; replacing: string | null }
  /** Continue from checkpoints/last.ckpt. */
  | { kind: 'resume' }
  /** --resume of a run whose report.json is written: nothing to train. */
  | { kind: 'finished'; report: RunReport };

/** A run directory that holds a run the command would destroy. */
export class RunExistsError extends Error {
  override readonly name = 'RunExistsError';
}

/** The finished run's report, or null when there is none or it cannot be read (the run is then unfinished). */
export function readFinishedReport(files: RunFiles): RunReport | null {
  if (!existsSync(files.report)) return null;
  try {
    const report = JSON.parse(readFileSync(files.report, 'utf8')) as RunReport;
    return typeof report === 'object' && report !== null && typeof report.metrics === 'object' ? report : null;
  } catch {
    return null;
  }
}

function readSavedConfig(files: RunFiles): unknown {
  try {
    return JSON.parse(readFileSync(files.config, 'utf8'));
  } catch (err) {
    throw new Error(`cannot resume ${files.dir}: ${files.config} is unreadable (${(err as Error).message}); start the run again with --overwrite`);
  }
}

/** Dotted keys where two configs differ. */
export function diffKeys(a: unknown, b: unknown, prefix = ''): string[] {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(a)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => diffKeys((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix || '(root)'];
}

function describeFinished(report: RunReport | null): string {
  const accuracy = report?.metrics?.test?.accuracy;
  return typeof accuracy === 'number' ? `a finished run (report.json, test accuracy ${(accuracy * 100).toFixed(2)}%)` : 'a finished run (report.json)';
}

/**
 * Decides how a run starts from what `files.dir` holds; throws, before anything is written, when
 * the request would lose a run or cannot be met.
 */
export function planRunStart(files: RunFiles, config: ExperimentConfig, flags: RunStartFlags): RunStartKind {
  const dir = files.dir;
  if (flags.resume && flags.overwrite) throw new Error('--resume and --overwrite contradict each other: --resume keeps the run in --out, --overwrite deletes it');
  const hasReport = existsSync(files.report);
  const hasCheckpoint = existsSync(files.lastCheckpoint);
  if (flags.resume) {
    if (!existsSync(files.config)) {
      throw new Error(`cannot resume ${dir}: it holds no config.json, so no run was started there; run without --resume to start one`);
    }
    const diff = diffKeys(readSavedConfig(files), config);
    if (diff.length > 0) throw new Error(`cannot resume ${dir}: its config differs in ${diff.join(', ')} (resume with the same settings, or choose another --out)`);
    const report = readFinishedReport(files);
    if (report !== null) return { kind: 'finished', report };
    return hasCheckpoint ? { kind: 'resume' } : { kind: 'fresh', replacing: null };
  }
  if (!hasReport && !hasCheckpoint) return { kind: 'fresh', replacing: null };
  const what = hasReport ? describeFinished(readFinishedReport(files)) : 'an unfinished run (checkpoints/last.ckpt)';
  if (flags.overwrite) return { kind: 'fresh', replacing: what };
  throw new RunExistsError(
    `${dir} holds ${what}; it is left as it is. Pass --resume to ${hasReport ? 'keep it (nothing is trained again)' : 'continue it'}, ` +
      '--overwrite to delete it and start again, or choose another --out',
  );
}
