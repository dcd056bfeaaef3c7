import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expandSweep } from '../../src/sweep/expand.js';
import { spawnTrainRun } from '../../src/sweep/launcher.js';
import { repoRoot } from '../../src/util/paths.js';
import { RecordingView, fakeLauncher, runSweepCommand, spec, tempDir, writeSweepFile } from './helpers.js';

const small = 'data.generator={"counts":{"train":128,"val":32,"test":32},"minLength":8,"maxLength":24}';

describe('a real sweep of lra train processes', () => {
  beforeAll(() => {
    // The children run the built program; `make test` builds first, a bare vitest run builds here.
    if (!existsSync(join(repoRoot(), 'packages/trainer/dist/cli/main.js'))) spawnSync('npx', ['tsc', '-b'], { cwd: repoRoot(), stdio: 'inherit' });
  }, 180_000);

  it('trains, reports a diverging run with its error line, and skips the finished one when run again', async () => {
    const dir = tempDir('e2e');
    const path = writeSweepFile(dir, {
      tasks: ['listops'],
      mixers: ['attention'],
      seeds: [7],
      preset: 'tiny',
      steps: 4,
      backend: 'wasm',
      dataDir: join(dir, 'data'),
      overrides: [
        { name: 'ok', set: [small, 'train.evalEvery=2', 'train.logEvery=1', 'train.evalBatches=1'] },
        { name: 'diverge', set: [small, 'train.lr=1e30', 'train.warmup=0', 'train.schedule="constant"'] },
      ],
      root: join(dir, 'results'),
    });
    const view = new RecordingView();
    await expect(runSweepCommand(['sweep', path, '--workers', '2'], { view })).rejects.toThrow(/1 of 2 runs failed/);
    const [ok, diverged] = view.outcomes.sort((a, b) => a.run.index - b.run.index);
    expect(ok!.status).toBe('finished');
    const report = JSON.parse(readFileSync(join(dir, 'results/listops/attention/ok/s7/report.json'), 'utf8'));
    expect(report).toMatchObject({ task: 'listops', mixer: 'attention', seed: 7, steps: 4 });
    const log = readFileSync(join(dir, 'results/listops/attention/ok/s7/train.log'), 'utf8');
    expect(log).toMatch(/^# .* start: .*lra\.js train --task listops --mixer attention --preset tiny --seed 7 --steps 4 --backend wasm/);
    expect(log).toContain('"msg":"step 4/4"');

    expect(diverged!.status).toBe('failed');
    expect(diverged!.exitCode).toBe(1);
    expect(diverged!.lastLine).toMatch(/^lra: error: loss is not finite at step \d+/);
    expect(existsSync(join(dir, 'results/listops/attention/diverge/s7/report.json'))).toBe(false);

    // Run again: the finished run is skipped, only the failed one is tried.
    const listed = JSON.parse(await runSweepCommand(['sweep', path, '--list', '--json']));
    const actions = listed.map((r: { id: string; action: string }) => [r.id, r.action]);
    expect(actions[0]).toEqual(['listops/attention/ok/s7', 'skip']);
    // The failed run is tried again: resumed if it wrote a timed checkpoint before diverging
    // (one is written whenever it costs under 1% of the training since the last), else started.
    expect(actions[1][0]).toBe('listops/attention/diverge/s7');
    expect(['start', 'resume']).toContain(actions[1][1]);
    const again = fakeLauncher();
    await runSweepCommand(['sweep', path, '--index', '0'], { launcher: again.launcher });
    expect(again.calls).toEqual([]);
  }, 60_000);

  it('stops a training child when the sweep is interrupted', async () => {
    const dir = tempDir('stop');
    const run = expandSweep(spec({ mixers: ['attention'], seeds: [2], steps: 100_000, backend: 'wasm', dataDir: join(dir, 'data'), overrides: [{ name: 'long', set: [small, 'train.logEvery=1'] }] }), { root: dir })[0]!;
    const stop = new AbortController();
    const steps: number[] = [];
    const t0 = Date.now();
    const result = await spawnTrainRun(run, {
      resume: false,
      logFile: join(run.out, 'train.log'),
      signal: stop.signal,
      onStep: (step, total) => {
        steps.push(step);
        expect(total).toBe(100_000);
        stop.abort();
      },
    });
    expect(steps.length).toBeGreaterThan(0);
    // SIGTERM: the child finishes its step, saves last.ckpt (the run resumes from it) and exits 143.
    expect(result.exitCode).toBe(143);
    expect(result.signal).toBeNull();
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(existsSync(join(run.out, 'checkpoints', 'last.ckpt'))).toBe(true);
    expect(existsSync(join(run.out, 'report.json'))).toBe(false);
  }, 60_000);
});
