// `--backend webgpu` on a machine without a usable GPU: Dawn finds no adapter (or there is no
// Vulkan loader at all, or the package is absent), and the program must say so in its one error
// line and exit promptly with code 1 — no hang on Dawn's instance, no silent fallback to wasm, and
// no run directory left behind as if training had started.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../../../..');
const bin = join(root, 'packages/trainer/bin/lra.js');

describe('lra train --backend webgpu without a GPU', () => {
  beforeAll(() => {
    if (!existsSync(join(root, 'packages/trainer/dist/cli/main.js'))) spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
  }, 180_000);

  it('fails with one clear line naming the reason, exit code 1, within seconds', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'lra-webgpu-')), 'run');
    const started = Date.now();
    const r = spawnSync(
      process.execPath,
      [bin, 'train', '--task', 'listops', '--mixer', 'attention', '--preset', 'tiny', '--steps', '1', '--backend', 'webgpu', '--out', out],
      { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, LRA_LOG_LEVEL: 'warn' } },
    );
    const seconds = (Date.now() - started) / 1000;
    // A GPU machine trains instead; this test is about the CPU-only path.
    if (r.status === 0) return;
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    const errorLines = r.stderr.split('\n').filter((line) => line.startsWith('lra: error:'));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(
      /^lra: error: backend webgpu cannot be used: (webgpu not installed|webgpu: (no GPU adapter|no Vulkan loader \(libvulkan\.so\.1\) on this machine|failed to load Dawn .*))$/,
    );
    expect(existsSync(join(out, 'report.json'))).toBe(false);
    expect(seconds).toBeLessThan(60);
  });
});
