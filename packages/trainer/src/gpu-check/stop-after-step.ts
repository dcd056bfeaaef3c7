// Runs a training command until its run has logged a given step, then stops it: the first steps
// of a full-length preset (speed, memory, ETA) without its hours. The run's metrics.jsonl is the
// signal, so the command is the ordinary `lra train`, unchanged.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The highest step of a `train` record in a metrics.jsonl text (lines cut short are skipped). */
export function lastTrainStep(metrics: string): number {
  let last = 0;
  for (const line of metrics.split('\n')) {
    try {
      const record = JSON.parse(line) as { type?: string; step?: number };
      if (record.type === 'train' && typeof record.step === 'number') last = Math.max(last, record.step);
    } catch {
      // a line being written, or empty
    }
  }
  return last;
}

export interface StopAfterStepResult {
  /** The step reached when the command was stopped, or null when it ended by itself. */
  stoppedAt: number | null;
  exitCode: number;
}

/** Runs `command` (stdio inherited) and stops it once `runDir`'s metrics show step >= `step`. */
export function runUntilStep(command: readonly string[], runDir: string, step: number, pollMs = 500): Promise<StopAfterStepResult> {
  const [file, ...args] = command;
  if (file === undefined) return Promise.reject(new Error('no command given'));
  const metricsPath = join(runDir, 'metrics.jsonl');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit' });
    let stoppedAt: number | null = null;
    const timer = setInterval(() => {
      if (stoppedAt !== null || !existsSync(metricsPath)) return;
      const reached = lastTrainStep(readFileSync(metricsPath, 'utf8'));
      if (reached < step) return;
      stoppedAt = reached;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, pollMs);
    child.on('error', (error) => {
      clearInterval(timer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      resolve({ stoppedAt, exitCode: stoppedAt !== null ? 0 : (code ?? (signal === null ? 1 : 128)) });
    });
  });
}
