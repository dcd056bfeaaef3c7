import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepRun } from './expand.js';
import { lraBin, trainArgs } from './train-args.js';

export interface LaunchContext {
  /** Continue from the run's last checkpoint (`lra train --resume`). */
  resume: boolean;
  /** Where the child's stdout and stderr go (appended: a resumed run keeps its earlier log). */
  logFile: string;
  /** Aborted on Ctrl-C: the child is stopped and the launch settles. */
  signal: AbortSignal;
  /** Called with each step the child reports, for the progress view. */
  onStep: (step: number, total: number) => void;
}

export interface LaunchResult {
  /** null when the child was killed by a signal or could not start. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The child's last non-empty output line: its error message when it failed. */
  lastLine: string | null;
}

/** Runs one sweep run to its end. The pool takes any such function, so tests need not train. */
export type RunLauncher = (run: SweepRun, ctx: LaunchContext) => Promise<LaunchResult>;

/** Seconds a stopped child gets to exit before it is killed outright. */
const STOP_GRACE_MS = 10_000;

export function trainLogPath(run: SweepRun): string {
  return join(run.out, 'train.log');
}

/**
 * Reads a step out of one line the child logged. With stderr not a terminal, `lra train` logs
 * JSON lines (pino), its progress as `{step, total, msg: "step s/t"}`.
 */
export function stepFromLogLine(line: string): { step: number; total: number } | null {
  if (!line.startsWith('{')) return null;
  try {
    const record = JSON.parse(line) as { step?: unknown; total?: unknown };
    return typeof record.step === 'number' && typeof record.total === 'number' ? { step: record.step, total: record.total } : null;
  } catch {
    return null;
  }
}

/** The real launcher: `node packages/trainer/bin/lra.js train ... --out <dir>`, its output in train.log. */
export const spawnTrainRun: RunLauncher = (run, ctx) =>
  new Promise((resolvePromise) => {
    mkdirSync(run.out, { recursive: true });
    const log = createWriteStream(ctx.logFile, { flags: 'a' });
    const args = [lraBin(), ...trainArgs(run, ctx.resume)];
    log.write(`# ${new Date().toISOString()} ${ctx.resume ? 'resume' : 'start'}: ${process.execPath} ${args.map(quoteForLog).join(' ')}\n`);
    let lastLine: string | null = null;
    let settled = false;
    const finish = (result: LaunchResult): void => {
      if (settled) return;
      settled = true;
      ctx.signal.removeEventListener('abort', stop);
      log.end(() => resolvePromise(result));
    };

    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    for (const stream of [child.stdout, child.stderr]) {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        log.write(chunk);
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim() !== '') lastLine = line;
          const progress = stepFromLogLine(line);
          if (progress) ctx.onStep(progress.step, progress.total);
        }
      });
      stream.on('end', () => {
        if (pending.trim() !== '') lastLine = pending;
      });
    }

    let killTimer: NodeJS.Timeout | null = null;
    function stop(): void {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      killTimer.unref();
    }
    if (ctx.signal.aborted) stop();
    else ctx.signal.addEventListener('abort', stop, { once: true });

    child.on('error', (err) => {
      if (killTimer) clearTimeout(killTimer);
      finish({ exitCode: null, signal: null, lastLine: `could not start lra train: ${err.message}` });
    });
    // 'close' comes after both output streams ended, so the last line is in.
    child.on('close', (code, signal) => {
      if (killTimer) clearTimeout(killTimer);
      finish({ exitCode: code, signal, lastLine });
    });
  });

function quoteForLog(arg: string): string {
  return /^[A-Za-z0-9_./=:,@+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
