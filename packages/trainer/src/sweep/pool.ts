import { existsSync } from 'node:fs';
import { RunFiles } from '../train/run-files.js';
import type { HeldLock } from '../util/file-lock.js';
import { claimRun } from './claim.js';
import type { SweepRun } from './expand.js';
import { type LaunchResult, type RunLauncher, spawnTrainRun, trainLogPath } from './launcher.js';
import { actionFor, type PlannedRun, type RunAction } from './plan.js';
import type { RunOutcome, SweepView } from './progress-view.js';

/** A run this sweep claimed and started. */
interface Launched {
  run: SweepRun;
  action: RunAction;
  claim: HeldLock;
  running: Promise<LaunchResult>;
  t0: number;
}

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

  const record = (outcome: RunOutcome): void => {
    outcomes.set(outcome.run.index, outcome);
    opts.view.ended(outcome);
  };

  let next = 0;
  /** Takes the next run this sweep may run, claims it and launches it; null when none is left. */
  const startNext = async (): Promise<Launched | null> => {
    while (!abort.signal.aborted && next < queue.length) {
      const planned = queue[next++]!;
      const { run } = planned;
      const claim = await claimRun(run.out);
      if ('takenBy' in claim) {
        taken.add(run.index);
        opts.view.started(run, 'skip');
        record({ run, action: 'skip', status: 'skipped', exitCode: null, signal: null, lastLine: `running in another sweep (${claim.takenBy})`, seconds: 0 });
        continue;
      }
      let action: RunAction;
      try {
        action = actionFor(run, planned.config);
      } catch (err) {
        await claim.held.release();
        opts.view.started(run, planned.action);
        record({ run, action: planned.action, status: 'failed', exitCode: null, signal: null, lastLine: (err as Error).message, seconds: 0 });
        continue;
      }
      opts.view.started(run, action);
      if (action === 'skip') {
        await claim.held.release();
        record({ run, action, status: 'skipped', exitCode: 0, signal: null, lastLine: 'finished by another sweep', seconds: 0 });
        continue;
      }
      const t0 = performance.now();
      const running = launcher(run, {
        resume: action === 'resume',
        logFile: trainLogPath(run),
        signal: abort.signal,
        onStep: (step, total) => opts.view.step(run, step, total),
      });
      return { run, action, claim: claim.held, running, t0 };
    }
    return null;
  };
  // Taking, claiming and launching happen one run at a time (each is quick; the runs themselves
  // are awaited outside), so runs start in index order whatever the timing of their claims.
  let turn: Promise<unknown> = Promise.resolve();
  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = turn.then(fn);
    turn = p.catch(() => undefined);
    return p;
  };
  const worker = async (): Promise<void> => {
    for (;;) {
      const launched = await serially(startNext);
      if (launched === null) return;
      const { run, action } = launched;
      try {
        const result = await launched.running;
        const seconds = (performance.now() - launched.t0) / 1000;
        const reported = existsSync(new RunFiles(run.out).report);
        const status = result.exitCode === 0 && reported ? 'finished' : abort.signal.aborted ? 'stopped' : 'failed';
        const lastLine = result.exitCode === 0 && !reported ? 'exited 0 without writing report.json' : result.lastLine;
        record({ run, action, status, exitCode: result.exitCode, signal: result.signal, lastLine, seconds });
      } finally {
        await launched.claim.release();
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
