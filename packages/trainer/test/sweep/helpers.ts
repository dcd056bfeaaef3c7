import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { type SweepCommandDeps, sweepCommand } from '../../src/cli/commands/sweep.js';
import { resolveConfig } from '../../src/config/resolve.js';
import type { SweepRun } from '../../src/sweep/expand.js';
import type { LaunchContext, LaunchResult, RunLauncher } from '../../src/sweep/launcher.js';
import type { RunOutcome, SweepView } from '../../src/sweep/progress-view.js';
import { parseSweepSpec, type SweepSpec } from '../../src/sweep/spec.js';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `lra-sweep-${prefix}-`));
}

export function spec(over: Record<string, unknown> = {}): SweepSpec {
  return parseSweepSpec({ tasks: ['listops'], mixers: ['attention', 'fnet'], seeds: [1, 2], preset: 'tiny', root: 'results/x', ...over }, 'test.json');
}

export function writeSweepFile(dir: string, body: Record<string, unknown>): string {
  const path = join(dir, 'sweep.json');
  writeFileSync(path, JSON.stringify(body, null, 2));
  return path;
}

/** Writes what a finished `lra train` leaves: config.json and a report.json holding the config. */
export function writeFinishedRun(run: SweepRun): void {
  const { config } = resolveConfig(run.request);
  mkdirSync(run.out, { recursive: true });
  writeFileSync(join(run.out, 'config.json'), JSON.stringify(config));
  writeFileSync(join(run.out, 'report.json'), JSON.stringify({ task: run.task, mixer: run.mixer, seed: run.seed, config }));
}

/** What a run killed after a checkpoint leaves: config.json and checkpoints/last.ckpt. */
export function writeStartedRun(run: SweepRun): void {
  const { config } = resolveConfig(run.request);
  mkdirSync(join(run.out, 'checkpoints'), { recursive: true });
  writeFileSync(join(run.out, 'config.json'), JSON.stringify(config));
  writeFileSync(join(run.out, 'checkpoints', 'last.ckpt'), 'checkpoint');
}

export interface FakeCall {
  run: SweepRun;
  resume: boolean;
  logFile: string;
}

/**
 * A launcher that trains nothing: it records the call and, unless `behave` says otherwise,
 * writes the files of a finished run after `delayMs`.
 */
export function fakeLauncher(
  behave: (run: SweepRun) => { exitCode: number; lastLine?: string; writeReport?: boolean; delayMs?: number } = () => ({ exitCode: 0 }),
): { launcher: RunLauncher; calls: FakeCall[]; maxInFlight: () => number } {
  const calls: FakeCall[] = [];
  let inFlight = 0;
  let max = 0;
  const launcher = async (run: SweepRun, ctx: LaunchContext): Promise<LaunchResult> => {
    calls.push({ run, resume: ctx.resume, logFile: ctx.logFile });
    inFlight += 1;
    max = Math.max(max, inFlight);
    const b = behave(run);
    try {
      ctx.onStep(1, 2);
      const stopped = await new Promise<boolean>((res) => {
        if (ctx.signal.aborted) return res(true);
        const timer = setTimeout(() => res(false), b.delayMs ?? 5);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          res(true);
        });
      });
      if (stopped) return { exitCode: null, signal: 'SIGTERM', lastLine: 'stopped' };
      if (b.writeReport ?? b.exitCode === 0) writeFinishedRun(run);
      return { exitCode: b.exitCode, signal: null, lastLine: b.lastLine ?? null };
    } finally {
      inFlight -= 1;
    }
  };
  return { launcher, calls, maxInFlight: () => max };
}

/** A view that remembers what it was told. */
export class RecordingView implements SweepView {
  events: string[] = [];
  outcomes: RunOutcome[] = [];
  begin(c: { total: number; skipped: number; toRun: number; workers: number }): void {
    this.events.push(`begin ${c.total} ${c.skipped} ${c.toRun} ${c.workers}`);
  }
  started(run: SweepRun, action: string): void {
    this.events.push(`${action} ${run.index}`);
  }
  step(): void {}
  ended(o: RunOutcome): void {
    this.outcomes.push(o);
    this.events.push(`${o.status} ${o.run.index}`);
  }
  close(): void {
    this.events.push('close');
  }
}

/** Runs `lra sweep ...` in this process, as main.ts would, returning what it wrote on stdout. */
export async function runSweepCommand(argv: string[], deps: SweepCommandDeps = {}): Promise<string> {
  const out: string[] = [];
  const cli = yargs(argv)
    .exitProcess(false)
    .strict()
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    });
  await sweepCommand(cli, { view: new RecordingView(), ...deps, write: (t) => out.push(t) }).parseAsync();
  return out.join('');
}
