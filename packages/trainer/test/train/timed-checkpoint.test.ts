// Checkpoints between validations: a run killed between two of them resumes from the latest
// timed one, mid-way through a train record, and still ends exactly as an uninterrupted run.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@lra/models';
import { resolveConfig } from '../../src/config/resolve.js';
import { train } from '../../src/train/run.js';
import { silentLogger } from '../../src/util/logger.js';

const dataDir = mkdtempSync(join(tmpdir(), 'lra-timed-data-'));
const generator = JSON.stringify({ counts: { train: 200, val: 32, test: 32 }, minLength: 8, maxLength: 32, seed: 5 });

const config = (out: string, extra: string[] = []) =>
  resolveConfig({
    task: 'listops', mixer: 'attention', preset: 'tiny', dataDir, out,
    sets: [
      `data.generator=${generator}`, 'data.seqLen=32', 'backend=wasm', 'model.dModel=16', 'model.heads=2', 'model.layers=1', 'model.mlpDim=32',
      'train.batchSize=8', 'train.steps=12', 'train.warmup=2', 'train.logEvery=4', 'train.evalEvery=8', 'train.evalBatchSize=16', ...extra,
    ],
  });

const records = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map(({ stepsPerSec: _s, tokensPerSec: _t, time: _time, ...rest }) => rest);

describe('timed checkpoints (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('resumes from a checkpoint written mid-record to the metrics of an uninterrupted run', async () => {
    const whole = mkdtempSync(join(tmpdir(), 'lra-timed-'));
    const killed = mkdtempSync(join(tmpdir(), 'lra-timed-'));
    const full = (await train({ resolved: config(whole), log: silentLogger(), progress: false }))!;
    // checkpointMinutes 0: a checkpoint after every step; killed after step 6, half-way through the record of steps 5-8.
    expect(await train({ resolved: config(killed, ['train.checkpointMinutes=0']), log: silentLogger(), progress: false, stopAfterStep: 6 })).toBeNull();
    const resumed = (await train({ resolved: config(killed, ['train.checkpointMinutes=0']), log: silentLogger(), progress: false, resume: true }))!;
    expect(resumed.resumedFrom).toBe(6);
    expect(resumed.metrics).toEqual(full.metrics);
    expect(records(killed)).toEqual(records(whole));
  });

  it('with the default policy (a checkpoint whenever it costs under 1%), a kill anywhere still ends as the uninterrupted run', async () => {
    const whole = mkdtempSync(join(tmpdir(), 'lra-timed-'));
    const full = (await train({ resolved: config(whole), log: silentLogger(), progress: false }))!;
    for (const killedAt of [3, 7]) {
      const dir = mkdtempSync(join(tmpdir(), 'lra-timed-'));
      await train({ resolved: config(dir), log: silentLogger(), progress: false, stopAfterStep: killedAt });
      const resumed = (await train({ resolved: config(dir), log: silentLogger(), progress: false, resume: true }))!;
      expect(resumed.metrics).toEqual(full.metrics);
      expect(records(dir)).toEqual(records(whole));
    }
  });
});
