// Faults of a run directory, a checkpoint and an argument through the `lra` program itself:
// exit code 1, one line that names the problem, and the run directory as it was.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@lra/models';
import { finishedRunCopy, snapshot, tempDir } from './fixtures.js';

const root = resolve(__dirname, '../../../..');
const bin = join(root, 'packages/trainer/bin/lra.js');

function lra(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, LRA_LOG_LEVEL: 'warn' } });
  return { code: r.status, stderr: r.stderr };
}

describe('the lra program on faults', () => {
  beforeAll(async () => {
    if (!existsSync(join(root, 'packages/trainer/dist/cli/main.js'))) spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
    await selectBackend('wasm');
  }, 180_000);

  it('train into a finished run with no text data prepared: exit 1, the run untouched, with or without --overwrite', async () => {
    const dir = await finishedRunCopy('cli-text');
    const before = snapshot(dir);
    const args = ['train', '--task', 'text', '--mixer', 'attention', '--preset', 'tiny', '--backend', 'wasm', '--data-dir', tempDir('empty-data'), '--out', dir];
    const plain = lra(args);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/lra: error: .* holds a finished run .*--overwrite/);
    const overwrite = lra([...args, '--overwrite']);
    expect(overwrite.code).toBe(1);
    expect(overwrite.stderr).toMatch(/lra: error: no prepared data for task "text"/);
    expect(snapshot(dir)).toEqual(before);
  }, 60_000);

  it('eval of a damaged best.ckpt: exit 1 naming the file, no accuracy printed', async () => {
    const dir = await finishedRunCopy('cli-eval');
    const best = join(dir, 'checkpoints', 'best.ckpt');
    const buf = readFileSync(best);
    for (let i = 0; i < 2000; i++) buf.writeFloatLE(1, buf.length - 32 - 4 * (i + 1));
    writeFileSync(best, buf);
    const r = spawnSync(process.execPath, [bin, 'eval', '--run', dir, '--backend', 'wasm'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`lra: error: ${best}: checksum mismatch`);
    expect(r.stdout).not.toMatch(/accuracy/);
  }, 60_000);

  it('--seed abc: exit 1 naming the flag and the text', () => {
    const r = lra(['train', '--task', 'listops', '--mixer', 'attention', '--preset', 'tiny', '--seed', 'abc', '--out', tempDir('seed')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('lra: error: --seed: expected an integer, got "abc"');
  });
});
