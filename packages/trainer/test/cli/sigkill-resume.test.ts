import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectedScalars, runEvents, scalarEvents } from '../tensorboard/run-events.js';

const root = resolve(__dirname, '../../../..');
const bin = join(root, 'packages/trainer/bin/lra.js');
const dataDir = mkdtempSync(join(tmpdir(), 'lra-kill-data-'));
const STEPS = 30;

function args(out: string, extra: string[] = []): string[] {
  return [
    bin, 'train', '--task', 'listops', '--mixer', 'attention', '--preset', 'tiny', '--backend', 'wasm',
    '--data-dir', dataDir, '--out', out, '--steps', String(STEPS), '--progress', 'false',
    '--set', 'data.generator={"counts":{"train":256,"val":64,"test":64},"minLength":8,"maxLength":32}',
    'data.seqLen=32', 'model.dModel=32', 'model.heads=2', 'model.layers=1', 'model.mlpDim=64',
    'train.batchSize=16', 'train.warmup=5', 'train.logEvery=1', 'train.evalEvery=5', 'train.evalBatchSize=32',
    ...extra,
  ];
}

const metrics = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map(({ stepsPerSec: _s, tokensPerSec: _t, peakBytes: _p, time: _time, ...rest }) => rest);

function lastStep(dir: string): number {
  const path = join(dir, 'metrics.jsonl');
  if (!existsSync(path)) return 0;
  const lines = readFileSync(path, 'utf8').trim().split('\n').filter(Boolean);
  try {
    return (JSON.parse(lines.at(-1)!) as { step: number }).step;
  } catch {
    return 0;
  }
}

describe('a run killed with SIGKILL', () => {
  beforeAll(() => {
    if (!existsSync(join(root, 'packages/trainer/dist/cli/main.js'))) spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
  }, 180_000);

  it('resumes to exactly the metrics of an uninterrupted run', async () => {
    const whole = mkdtempSync(join(tmpdir(), 'lra-whole-'));
    const killed = mkdtempSync(join(tmpdir(), 'lra-killed-'));
    const full = spawnSync(process.execPath, args(whole), { encoding: 'utf8' });
    expect(full.status, full.stderr).toBe(0);

    // Kill at a random step between the first checkpoint and the end.
    const killAt = 6 + Math.floor(Math.random() * (STEPS - 8));
    const child = spawn(process.execPath, args(killed), { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)));
    const deadline = Date.now() + 60_000;
    while (lastStep(killed) < killAt && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    expect(await exited, `the run ended before step ${killAt}`).toBe('SIGKILL');
    expect(existsSync(join(killed, 'report.json'))).toBe(false);

    const resumed = spawnSync(process.execPath, args(killed, ['--resume']), { encoding: 'utf8' });
    expect(resumed.status, resumed.stderr).toBe(0);
    const a = JSON.parse(readFileSync(join(whole, 'report.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(killed, 'report.json'), 'utf8'));
    expect(b.resumedFrom, `killed at step ${killAt}`).toBeGreaterThan(0);
    expect(b.metrics, `killed at step ${killAt}`).toEqual(a.metrics);
    expect(metrics(killed)).toEqual(metrics(whole));
    // TensorBoard's files, the killed process's (trimmed) and the resumed one's, hold each record once.
    expect(scalarEvents(runEvents(killed)), `killed at step ${killAt}`).toEqual(expectedScalars(killed));
  }, 180_000);
});
