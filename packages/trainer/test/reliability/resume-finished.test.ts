// Resuming a finished run, or one killed between its test record and its report, must
// not test twice, and speed, memory and wall time must be those of the whole run.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@lra/models';
import type { RunReport } from '../../src/report/report.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import type { CheckpointMeta } from '../../src/train/checkpoint-meta.js';
import { train } from '../../src/train/run.js';
import { silentLogger } from '../../src/util/logger.js';
import { finishedRunCopy, metricRecords, snapshot, tempDir, tinyConfig } from './fixtures.js';

const readReport = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport;

describe('resuming at or after the test', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('--resume of a finished run is a no-op: same files, same report', async () => {
    const dir = await finishedRunCopy('noop');
    const before = snapshot(dir);
    const report = await train({ resolved: tinyConfig(dir), log: silentLogger(), progress: false, resume: true });
    expect(report).toEqual(readReport(dir));
    expect(snapshot(dir)).toEqual(before);
  });

  it('killed after the test record, before report.json: one test line, and the report keeps speed, memory and wall time', async () => {
    const dir = await finishedRunCopy('after-test');
    const original = readReport(dir);
    rmSync(join(dir, 'report.json'));
    rmSync(join(dir, 'report.md'));
    const recorded = (await readCheckpoint<CheckpointMeta>(join(dir, 'checkpoints', 'last.ckpt'))).meta.timing!;
    const report = (await train({ resolved: tinyConfig(dir), log: silentLogger(), progress: false, resume: true }))!;
    expect(metricRecords(dir).filter((r) => r.type === 'test')).toHaveLength(1);
    expect(report.metrics).toEqual(original.metrics);
    const saved = readReport(dir);
    // Speed comes from the steps the first process timed: this one trained none.
    expect(saved.speed.stepsPerSec).toBeGreaterThan(0);
    expect(saved.speed.msPerStep.median).toBe(original.speed.msPerStep.median);
    expect(saved.memory.peakBytes).toBe(original.memory.peakBytes);
    expect(saved.memory.peakBytes).toBeGreaterThan(0);
    expect(saved.wallSeconds).toBeGreaterThanOrEqual(recorded.wallSeconds);
    expect(existsSync(join(dir, 'report.md'))).toBe(true);
  });

  it('a run resumed mid-way reports the timing of both processes', async () => {
    const dir = tempDir('mid');
    await train({ resolved: tinyConfig(dir), log: silentLogger(), progress: false, stopAfterStep: 5 });
    const first = (await readCheckpoint<CheckpointMeta>(join(dir, 'checkpoints', 'last.ckpt'))).meta.timing!;
    expect(first.stepMs.length + first.warmupMs.length).toBe(4);
    const report = (await train({ resolved: tinyConfig(dir), log: silentLogger(), progress: false, resume: true }))!;
    const last = (await readCheckpoint<CheckpointMeta>(join(dir, 'checkpoints', 'last.ckpt'))).meta.timing!;
    // Steps 1-4 of the first process and 5-8 of the second: every step timed once.
    expect(last.stepMs.length + last.warmupMs.length).toBe(8);
    expect(last.peakBytes).toBeGreaterThanOrEqual(first.peakBytes);
    expect(report.wallSeconds).toBeGreaterThan(first.wallSeconds);
  });

  it('a run of 3 steps or fewer reports a speed (from its warm-up steps) and writes report.md', async () => {
    const dir = tempDir('short');
    const report = (await train({ resolved: tinyConfig(dir, ['train.steps=3', 'train.logEvery=1', 'train.evalEvery=3', 'train.warmup=1']), log: silentLogger(), progress: false }))!;
    const saved = readReport(dir);
    expect(saved.speed.stepsPerSec).toBeGreaterThan(0);
    expect(saved.speed.msPerStep.p90).toBeGreaterThan(0);
    expect(report.memory.peakBytes).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/median step [\d.]+ ms/);
  });
});
