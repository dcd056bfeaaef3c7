// `lra data inspect` without --source never starts a generation silently: it reads a variant
// already prepared, and a generation it must run is announced, estimated and shown.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTaskData, preparedVariants } from '@lra/data';
import { GenerationProgress } from '../../src/util/generation-progress.js';
import type { Logger } from '../../src/util/logger.js';

const root = resolve(__dirname, '../../../..');
const bin = join(root, 'packages/trainer/bin/lra.js');

function lra(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, LRA_LOG_LEVEL: 'info' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function recordingLogger(lines: string[]): Logger {
  const record = (a: unknown, b?: unknown) => void lines.push(typeof a === 'string' ? a : String(b));
  return { info: record, warn: record, error: record, debug: record } as unknown as Logger;
}

describe('data without a source', () => {
  beforeAll(() => {
    if (!existsSync(join(root, 'packages/trainer/dist/cli/main.js'))) spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
  }, 180_000);

  it('data inspect reads the prepared Pathfinder variant instead of generating 200,000 images', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lra-inspect-'));
    await ensureTaskData({ task: 'pathfinder', dataDir, generate: { count: 20, seed: 3 } });
    const [variant] = await preparedVariants(dataDir, 'pathfinder');
    const started = Date.now();
    const r = lra(['data', 'inspect', '--task', 'pathfinder', '--split', 'train', '--data-dir', dataDir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ task: 'pathfinder', split: 'train', count: 16 });
    expect(r.stderr).toContain(`using the prepared variant ${variant!.variant}`);
    expect(r.stderr).not.toContain('generating');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('a generation says how many examples it makes, then how long it expects, then its progress', () => {
    const lines: string[] = [];
    let now = 0;
    const progress = new GenerationProgress('pathfinder', recordingLogger(lines), false, () => now);
    progress.onProgress({ stage: 'generate', done: 0, total: 200_000 });
    expect(lines).toEqual(['generating 200,000 pathfinder examples (no prepared data to use; give --source DIR to read the official files instead)']);
    now = 1000;
    progress.onProgress({ stage: 'generate', done: 100, total: 200_000 });
    expect(lines).toHaveLength(1); // too early to trust the rate
    now = 4000;
    progress.onProgress({ stage: 'generate', done: 480, total: 200_000 });
    // 480 examples in 4 s: 120/s, 200,000 in 27m 47s.
    expect(lines[1]).toBe('generation expected to take about 27m 47s (120 examples/s)');
    progress.onProgress({ stage: 'generate', done: 20_000, total: 200_000 });
    expect(lines[2]).toBe('generated 20,000 of 200,000 pathfinder examples');
    progress.stop();
  });
});
