// One writer per run directory (a lock with pid, host and start; stale locks taken
// over), and two sweeps of one file split the runs between them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@lra/models';
import { claimRun } from '../../src/sweep/claim.js';
import { expandSweep } from '../../src/sweep/expand.js';
import { readSweepFile } from '../../src/sweep/spec.js';
import { planRuns } from '../../src/sweep/plan.js';
import { runPool } from '../../src/sweep/pool.js';
import { train } from '../../src/train/run.js';
import { RUN_LOCK_FILE, RunLockedError } from '../../src/train/run-lock.js';
import { FOREIGN_STALE_MS } from '../../src/util/file-lock.js';
import { silentLogger } from '../../src/util/logger.js';
import { RecordingView, fakeLauncher, runSweepCommand, spec, writeSweepFile } from '../sweep/helpers.js';
import { metricRecords, prepareSharedData, tempDir, tinyConfig } from './fixtures.js';

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('one writer per run', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
    await prepareSharedData();
  });

  it('a second train into the same --out is refused, naming the first; the metrics hold each step once', async () => {
    const dir = tempDir('two');
    const results = await Promise.allSettled([
      train({ resolved: tinyConfig(dir), log: silentLogger(), progress: false }),
      train({ resolved: tinyConfig(dir), log: silentLogger(), progress: false }),
    ]);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    const err = (refused[0] as PromiseRejectedResult).reason as Error;
    expect(err).toBeInstanceOf(RunLockedError);
    expect(err.message).toMatch(new RegExp(`is in use by another run \\(lra train, pid ${process.pid} on ${hostname()}, since \\d{4}-`));
    const steps = metricRecords(dir).filter((r) => r.type === 'train').map((r) => r.step);
    expect(steps).toEqual([2, 4, 6, 8]);
    // The lock goes with the run that held it.
    expect(existsSync(join(dir, RUN_LOCK_FILE))).toBe(false);
  });

  it('takes over the lock of a process that is gone (killed), and one of another host once it is no longer refreshed', async () => {
    const stale = tempDir('stale');
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, RUN_LOCK_FILE), JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: '2026-01-01T00:00:00.000Z', purpose: 'lra train' }));
    const report = await train({ resolved: tinyConfig(stale), log: silentLogger(), progress: false });
    expect(report!.steps).toBe(8);
    expect(existsSync(join(stale, RUN_LOCK_FILE))).toBe(false);

    const remote = tempDir('remote');
    const lock = JSON.stringify({ pid: process.pid, host: 'another-host.example', startedAt: '2026-01-01T00:00:00.000Z', purpose: 'lra train' });
    writeFileSync(join(remote, RUN_LOCK_FILE), lock);
    await expect(train({ resolved: tinyConfig(remote), log: silentLogger(), progress: false })).rejects.toThrow(
      /in use by another run \(lra train, pid \d+ on another-host\.example.*cannot be checked from here: its lock is taken over once unrefreshed for 5 minutes; if it is gone, delete .*run\.lock/,
    );
    expect(existsSync(join(remote, 'metrics.jsonl'))).toBe(false);

    // Its holder refreshes the lock every 30 s: one left alone for longer than 5 minutes is stale.
    const old = new Date(Date.now() - FOREIGN_STALE_MS - 60_000);
    utimesSync(join(remote, RUN_LOCK_FILE), old, old);
    expect((await train({ resolved: tinyConfig(remote), log: silentLogger(), progress: false }))!.steps).toBe(8);
  });

  it('two sweeps of one file at the same time train every run once between them', async () => {
    const runs = expandSweep(spec({ seeds: [1, 2, 3] }), { root: tempDir('sweeps') });
    const fake = fakeLauncher(() => ({ exitCode: 0, delayMs: 30 }));
    const [a, b] = await Promise.all([
      runPool(planRuns(runs), { workers: 2, view: new RecordingView(), launcher: fake.launcher }),
      runPool(planRuns(runs), { workers: 2, view: new RecordingView(), launcher: fake.launcher }),
    ]);
    expect(fake.calls.map((c) => c.run.index).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...a.failed, ...b.failed]).toEqual([]);
    // Each run finished in exactly one of the two; the other left it (taken, or found finished).
    for (const run of runs) {
      const statuses = [a, b].map((r) => r.outcomes.find((o) => o.run.index === run.index)!.status).sort();
      expect(statuses).toEqual(['finished', 'skipped']);
    }
  });

  it('a cluster task (--index) whose run another sweep holds fails instead of ending as done, so its engine retries it', async () => {
    const dir = tempDir('index');
    const path = writeSweepFile(dir, { tasks: ['listops'], mixers: ['attention'], seeds: [1], preset: 'tiny', root: join(dir, 'results') });
    const [run] = expandSweep(readSweepFile(path).spec, { root: join(dir, 'results') });
    const holder = await claimRun(run!.out);
    expect('held' in holder).toBe(true);
    const fake = fakeLauncher();
    await expect(runSweepCommand(['sweep', path, '--index', '0'], { launcher: fake.launcher })).rejects.toThrow(
      new RegExp(`^run 0: running in another sweep \\(lra sweep, pid ${process.pid} on ${hostname()}, since .*\\); not run here`),
    );
    expect(fake.calls).toEqual([]);
    if ('held' in holder) await holder.held.release();
    await runSweepCommand(['sweep', path, '--index', '0'], { launcher: fake.launcher });
    expect(fake.calls).toHaveLength(1);
  });
});
