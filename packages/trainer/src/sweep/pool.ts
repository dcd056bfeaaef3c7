import { existsSync } from 'node:fs';
import { RunFiles } from '../train/run-files.js';
import { claimRun } from './claim.js';
import { type RunLauncher, spawnTrainRun, trainLogPath } from './launcher.js';
import { actionFor, type PlannedRun } from './plan.js';
import type { RunOutcome, SweepView } from './progress-view.js';

export interface PoolOptions {
  /** Runs at a time, each in its own process. */
  workers: number;
  view: SweepView;
  /** The default spawns `lra train`; tests pass a function that writes the files a run would. */
  launcher?: RunLauncher;
  /** Aborting stops the running children and starts no more (Ctrl-C). */
  signal?: AbortSignal;
}

export interface SweepResult {
  /** One per planned run, in index order; runs never started because of a stop are left out. */
  outcomes: RunOutcome[];
  failed: RunOutcome[];
  /** Runs another sweep was running when this one came to them: left to it. */
  taken: RunOutcome[];
  stopped: boolean;
}

/**
 * Runs the planned runs on a pool of `workers` child processes, in index order. Finished runs are
 * skipped, started ones resumed; a failure is reported and the others go on. A run counts as
 * finished only when its child exits 0 and report.json is there. Each run is claimed first (see
 * claim.ts): one that another sweep holds is left to it, and what to do with a run is decided
 * again once claimed, since another sweep may have finished it since planning.
 */
export async function runPool(planned: readonly PlannedRun[], opts: PoolOptions): Promise<SweepResult> {
  if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new RangeError(`workers must be an integer >= 1, got ${opts.workers}`);
  const launcher = opts.launcher ?? spawnTrainRun;
  const abort = new AbortController();
  const onAbort = (): void => abort.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) abort.abort();

  const outcomes = new Map<number, RunOutcome>();
  const taken = new Set<number>();
  for (const p of planned)
    if (p.action === 'skip') outcomes.set(p.run.index, { run: p.run, action: 'skip', status: 'skipped', exitCode: 0, signal: null, lastLine: null, seconds: 0 });
  const queue = planned.filter((p) => p.action !== 'skip');
  opts.view.begin({ total: planned.length, skipped: planned.length - queue.length, toRun: queue.length, workers: opts.workers });

  let next = 0;
  const worker = async (): Promise<void> => {
    while (!abort.signal.aborted && next < queue.length) {
      const planned = queue[next++]!;
      const { run } = planned;
      const claim = await claimRun(run.out);
      if ('takenBy' in claim) {
        const outcome: RunOutcome = { run, action: 'skip', status: 'skipped', exitCode: null, signal: null, lastLine: `running in another sweep (${claim.takenBy})`, seconds: 0 };
        taken.add(run.index);
        outcomes.set(run.index, outcome);
        opts.view.started(run, 'skip');
        opts.view.ended(outcome);
        continue;
      }
      try {
        let action = planned.action;
        try {
          action = actionFor(run, planned.config);
        } catch (err) {
          const outcome: RunOutcome = { run, action, status: 'failed', exitCode: null, signal: null, lastLine: (err as Error).message, seconds: 0 };
          outcomes.set(run.index, outcome);
          opts.view.started(run, action);
          opts.view.ended(outcome);
          continue;
        }
        opts.view.started(run, action);
        if (action === 'skip') {
          const outcome: RunOutcome = { run, action, status: 'skipped', exitCode: 0, signal: null, lastLine: 'finished by another sweep', seconds: 0 };
          outcomes.set(run.index, outcome);
          opts.view.ended(outcome);
          continue;
        }
        const t0 = performance.now();
        const result = await launcher(run, {
          resume: action === 'resume',
          logFile: trainLogPath(run),
          signal: abort.signal,
          onStep: (step, total) => opts.view.step(run, step, total),
        });
        const seconds = (performance.now() - t0) / 1000;
        const reported = existsSync(new RunFiles(run.out).report);
        const status = result.exitCode === 0 && reported ? 'finished' : abort.signal.aborted ? 'stopped' : 'failed';
        const lastLine = result.exitCode === 0 && !reported ? 'exited 0 without writing report.json' : result.lastLine;
        const outcome: RunOutcome = { run, action, status, exitCode: result.exitCode, signal: result.signal, lastLine, seconds };
        outcomes.set(run.index, outcome);
        opts.view.ended(outcome);
      } finally {
        await claim.held.release();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(opts.workers, Math.max(queue.length, 1)) }, worker));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    opts.view.close();
  }
  const ordered = [...outcomes.values()].sort((a, b) => a.run.index - b.run.index);
  return {
    outcomes: ordered,
    failed: ordered.filter((o) => o.status === 'failed'),
    taken: ordered.filter((o) => taken.has(o.run.index)),
    stopped: abort.signal.aborted,
  };
}
