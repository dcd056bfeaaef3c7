import { describe, expect, it } from 'vitest';
import { expandSweep } from '../../src/sweep/expand.js';
import { planRuns } from '../../src/sweep/plan.js';
import { runPool } from '../../src/sweep/pool.js';
import { failureLine } from '../../src/sweep/progress-view.js';
import { RecordingView, fakeLauncher, spec, tempDir, writeFinishedRun, writeStartedRun } from './helpers.js';

const eight = () => spec({ seeds: [1, 2, 3, 4] });

describe('the local worker pool', () => {
  it('runs every run once, in index order, never more than `workers` at a time', async () => {
    const runs = expandSweep(eight(), { root: tempDir('pool') });
    const fake = fakeLauncher(() => ({ exitCode: 0, delayMs: 20 }));
    const view = new RecordingView();
    const result = await runPool(planRuns(runs), { workers: 3, view, launcher: fake.launcher });
    expect(fake.calls.map((c) => c.run.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(fake.maxInFlight()).toBe(3);
    expect(result.outcomes.map((o) => o.status)).toEqual(Array(8).fill('finished'));
    expect(result.failed).toEqual([]);
    expect(view.events[0]).toBe('begin 8 0 8 3');
    expect(view.events.at(-1)).toBe('close');
    expect(fake.calls[0]!.logFile).toBe(`${runs[0]!.out}/train.log`);
    // Everything finished: a second pass starts nothing.
    const again = fakeLauncher();
    const second = await runPool(planRuns(runs), { workers: 2, view: new RecordingView(), launcher: again.launcher });
    expect(again.calls).toEqual([]);
    expect(second.outcomes.map((o) => o.status)).toEqual(Array(8).fill('skipped'));
  });

  it('skips finished runs and resumes started ones', async () => {
    const runs = expandSweep(spec(), { root: tempDir('resume') });
    writeFinishedRun(runs[0]!);
    writeStartedRun(runs[3]!);
    const fake = fakeLauncher();
    const view = new RecordingView();
    const result = await runPool(planRuns(runs), { workers: 2, view, launcher: fake.launcher });
    expect(fake.calls.map((c) => [c.run.index, c.resume])).toEqual([[1, false], [2, false], [3, true]]);
    expect(result.outcomes.map((o) => [o.run.index, o.status, o.action])).toEqual([
      [0, 'skipped', 'skip'],
      [1, 'finished', 'start'],
      [2, 'finished', 'start'],
      [3, 'finished', 'resume'],
    ]);
    expect(view.events[0]).toBe('begin 4 1 3 2');
  });

  it('reports a failed run with its exit code and last log line while the others go on', async () => {
    const runs = expandSweep(eight(), { root: tempDir('fail') });
    const fake = fakeLauncher((run) =>
      run.index === 2 ? { exitCode: 1, lastLine: 'lra: error: non-finite loss at step 3' } : run.index === 5 ? { exitCode: 0, writeReport: false } : { exitCode: 0 },
    );
    const result = await runPool(planRuns(runs), { workers: 2, view: new RecordingView(), launcher: fake.launcher });
    expect(fake.calls).toHaveLength(8);
    expect(result.failed.map((o) => o.run.index)).toEqual([2, 5]);
    expect(failureLine(result.failed[0]!)).toBe('run 2 (listops/attention/base/s3) failed, exit code 1: lra: error: non-finite loss at step 3');
    expect(failureLine(result.failed[1]!)).toBe('run 5 (listops/fnet/base/s2) failed, exit code 0: exited 0 without writing report.json');
    expect(result.outcomes.filter((o) => o.status === 'finished')).toHaveLength(6);
    // The failed ones are retried by the next pass, the finished ones are not.
    const retry = fakeLauncher();
    await runPool(planRuns(runs), { workers: 2, view: new RecordingView(), launcher: retry.launcher });
    expect(retry.calls.map((c) => [c.run.index, c.resume])).toEqual([[2, false], [5, false]]);
  });

  it('stops the running runs and starts no more when aborted', async () => {
    const runs = expandSweep(eight(), { root: tempDir('abort') });
    const stop = new AbortController();
    const fake = fakeLauncher((run) => ({ exitCode: 0, delayMs: run.index < 2 ? 5 : 10_000 }));
    const view = new RecordingView();
    const pending = runPool(planRuns(runs), { workers: 2, view, launcher: fake.launcher, signal: stop.signal });
    await new Promise((r) => setTimeout(r, 100));
    stop.abort();
    const result = await pending;
    expect(result.stopped).toBe(true);
    expect(fake.calls.map((c) => c.run.index)).toEqual([0, 1, 2, 3]);
    expect(result.outcomes.map((o) => [o.run.index, o.status])).toEqual([[0, 'finished'], [1, 'finished'], [2, 'stopped'], [3, 'stopped']]);
    expect(result.failed).toEqual([]);
  });

  it('rejects a worker count below one', async () => {
    await expect(runPool([], { workers: 0, view: new RecordingView() })).rejects.toThrow('workers must be an integer >= 1, got 0');
  });
});
