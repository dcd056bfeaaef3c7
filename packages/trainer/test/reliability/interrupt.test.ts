import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import type { CheckpointMeta } from '../../src/train/checkpoint-meta.js';
import { resumeCommandOf } from '../../src/train/stop-request.js';
import { dataDir, prepareSharedData, tempDir } from './fixtures.js';

const root = join(__dirname, '..', '..', '..', '..');
const bin = join(root, 'packages/trainer/bin/lra.js');

const generator = JSON.stringify({ counts: { train: 160, val: 32, test: 32 }, minLength: 8, maxLength: 40, seed: 3 });
// Far more steps than the test waits for: the run is always stopped by the signal, never finished.
const sets = [`data.generator=${generator}`, 'data.seqLen=40', 'model.dModel=16', 'model.heads=2', 'model.layers=1', 'model.mlpDim=32', 'train.batchSize=16', 'train.steps=100000', 'train.warmup=2', 'train.logEvery=2', 'train.evalEvery=100000'];

interface Finished {
  code: number | null;
  stderr: string;
}

/** Starts `lra args`, sends `signal` once stderr shows `readyWhen`, and waits for the exit. */
function interruptWhen(args: string[], readyWhen: RegExp, signal: NodeJS.Signals): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, LRA_LOG_LEVEL: 'info' } });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!sent && readyWhen.test(stderr)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

const messages = (stderr: string): { msg: string; [k: string]: unknown }[] =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string });

describe('a run stopped by a signal', () => {
  beforeAll(async () => {
    if (!existsSync(join(root, 'packages/trainer/dist/cli/main.js'))) spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
    await prepareSharedData();
  }, 180_000);

  it('saves last.ckpt at the step it reached, says how to resume, exits 130; the resume command continues from there', async () => {
    const out = tempDir('sigint');
    const args = ['train', '--task', 'listops', '--mixer', 'attention', '--preset', 'tiny', '--backend', 'wasm', '--data-dir', dataDir, '--out', out, '--set', ...sets];
    const first = await interruptWhen(args, /"msg":"step \d+\/100000"/, 'SIGINT');
    expect(first.code).toBe(130);
    const stopped = messages(first.stderr).find((m) => m.msg.startsWith('SIGINT: stopped after step'));
    expect(stopped, first.stderr).toBeDefined();
    const step = stopped!.step as number;
    expect(step).toBeGreaterThanOrEqual(2);
    const ckpt = join(out, 'checkpoints', 'last.ckpt');
    expect(stopped!.checkpoint).toBe(ckpt);
    expect((await readCheckpoint<CheckpointMeta>(ckpt)).meta.step).toBe(step);
    expect(stopped!.resume).toBe(resumeCommandOf(args));
    expect(existsSync(join(out, 'report.json'))).toBe(false);

    // The printed command, run as printed (less the program name), resumes at the saved step; a
    // SIGTERM during its start-up stops it there or, if the loop has begun, after a step it saves.
    const resumeArgs = args.concat('--resume');
    const second = await interruptWhen(resumeArgs, /resuming .* from step \d+/, 'SIGTERM');
    expect(second.stderr).toContain(`from step ${step}`);
    expect(second.code).toBe(143);
    const again = messages(second.stderr).find((m) => m.msg.startsWith('SIGTERM: stopped after step'));
    expect(again, second.stderr).toBeDefined();
    expect(again!.step as number).toBeGreaterThanOrEqual(step);
    expect((await readCheckpoint<CheckpointMeta>(ckpt)).meta.step).toBe(again!.step);
  }, 180_000);

  it('--resume of a run directory that holds no run is an error, and creates nothing', () => {
    const out = join(tempDir('missing'), 'never-started');
    const r = spawnSync(process.execPath, [bin, 'train', '--task', 'listops', '--mixer', 'attention', '--preset', 'tiny', '--out', out, '--resume'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`lra: error: cannot resume ${out}: it holds no config.json`);
    expect(existsSync(out)).toBe(false);
  });
});

describe('resumeCommandOf', () => {
  it('adds --resume once, drops --overwrite and quotes what a shell would split', () => {
    expect(resumeCommandOf(['train', '--task', 'listops', '--overwrite', '--set', 'data.generator={"a": 1}'])).toBe(
      `lra train --task listops --set 'data.generator={"a": 1}' --resume`,
    );
    expect(resumeCommandOf(['train', '--resume'])).toBe('lra train --resume');
  });
});
