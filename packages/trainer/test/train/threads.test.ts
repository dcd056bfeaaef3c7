import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/report.js';

// `lra train --threads N`, a process per count: the wasm module's threads are fixed once it
// starts. The process must exit by itself (the pool's workers must not hold it), the report must
// carry the count the module reports, and threads must not change what is learnt: every kernel
// splits its outputs (never a sum) over the threads, so 1 and 2 threads give the same bits.

const root = join(__dirname, '..', '..', '..', '..');
const bin = join(root, 'packages/trainer/bin/lra.js');
const dataDir = mkdtempSync(join(tmpdir(), 'lra-threads-data-'));
const generator = JSON.stringify({ counts: { train: 96, val: 32, test: 32 }, minLength: 16, maxLength: 256, seed: 5 });
// Wide enough that XNNPACK splits the products over both threads.
const sets = [`data.generator=${generator}`, 'data.seqLen=256', 'model.dModel=64', 'model.heads=4', 'model.layers=1', 'model.mlpDim=128', 'train.batchSize=16', 'train.steps=6', 'train.warmup=2', 'train.logEvery=1', 'train.evalEvery=3'];

/** Runs `lra train` with `threads` to its end; resolves with the exit code (null: killed by the timer). */
function trainWith(threads: number, out: string, mixer: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const args = ['train', '--task', 'listops', '--mixer', mixer, '--preset', 'tiny', '--backend', 'wasm', '--threads', String(threads), '--data-dir', dataDir, '--out', out, '--set', ...sets];
    const child = spawn(process.execPath, [bin, ...args], { cwd: root });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // A process held open by its workers would never close: stop it and fail, naming that.
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('lra train --threads', () => {
  beforeAll(() => {
    if (!existsSync(join(root, 'packages/trainer/dist/cli/main.js'))) spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
  }, 180_000);

  // attention: XNNPACK's products, dropout and the softmax gradient split; fftnet: rfft, irfft,
  // GELU, layer norm and the column sums on the heap's threads as well; fnet: its 2-D mixing.
  it.each(['attention', 'fftnet', 'fnet'])('%s: records the threads the wasm module reports, exits by itself, and learns the same bits with 1 and 2 threads', async (mixer) => {
    const out = mkdtempSync(join(tmpdir(), 'lra-threads-'));
    const reports: RunReport[] = [];
    // One after the other: the first generates the data the second reads.
    for (const threads of [1, 2]) {
      const run = await trainWith(threads, join(out, `t${threads}`), mixer);
      expect(run.code, run.stderr.slice(-2000)).toBe(0);
      reports.push(JSON.parse(readFileSync(join(out, `t${threads}`, 'report.json'), 'utf8')) as RunReport);
    }
    const [one, two] = reports as [RunReport, RunReport];
    expect(one.backendInfo.threads).toBe(1);
    expect(two.backendInfo.threads).toBe(2);
    expect(two.backendInfo.threadsNote).toBeUndefined();
    // The project's JavaScript kernels split over the same threads (the compiled program has the worker script).
    expect(two.backendInfo.kernelThreads).toBe(2);
    const numbers = (r: RunReport) => [r.metrics.best.valLoss, r.metrics.best.valAccuracy, r.metrics.test.loss, r.metrics.test.accuracy, r.metrics.testLast?.loss ?? 0];
    const [a, b] = [numbers(one), numbers(two)];
    expect(b).toEqual(a);
    const losses = (dir: string) => readFileSync(join(out, dir, 'metrics.jsonl'), 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l) as { type: string; loss: number }).filter((r) => r.type === 'train').map((r) => r.loss);
    const [l1, l2] = [losses('t1'), losses('t2')];
    expect(l1.length).toBeGreaterThan(0);
    expect(l2.length).toBe(l1.length);
    expect(l2).toEqual(l1);
  }, 240_000);
});
