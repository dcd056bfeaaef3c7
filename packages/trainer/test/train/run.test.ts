import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTaskData, getTask, SeededBatcher } from '@lra/data';
import { createClassifier, selectBackend, trainingContext } from '@lra/models';
import { resolveConfig } from '../../src/config/resolve.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import type { CheckpointMeta } from '../../src/train/checkpoint-meta.js';
import { evaluate } from '../../src/train/evaluate.js';
import { classifierConfig } from '../../src/train/model-config.js';
import { restoreParams, train, DivergedError } from '../../src/train/run.js';
import { AdamW } from '../../src/train/optimizer.js';
import { trainStep } from '../../src/train/step.js';
import { silentLogger } from '../../src/util/logger.js';

const dataDir = mkdtempSync(join(tmpdir(), 'lra-run-data-'));
const generator = JSON.stringify({ counts: { train: 240, val: 64, test: 64 }, minLength: 8, maxLength: 48, seed: 7 });

function tinyConfig(out: string, extra: string[] = []) {
  return resolveConfig({
    task: 'listops',
    mixer: 'attention',
    preset: 'tiny',
    dataDir,
    out,
    sets: [
      `data.generator=${generator}`,
      'data.seqLen=48',
      'backend=wasm',
      'model.dModel=32',
      'model.heads=2',
      'model.layers=1',
      'model.mlpDim=64',
      'train.batchSize=16',
      'train.steps=12',
      'train.warmup=4',
      'train.logEvery=2',
      'train.evalEvery=4',
      'train.evalBatchSize=32',
      ...extra,
    ],
  });
}

const outDir = () => mkdtempSync(join(tmpdir(), 'lra-run-'));
const metricLines = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    // Speed and the time stamps differ from run to run; everything else must not.
    .map(({ stepsPerSec: _s, tokensPerSec: _t, time: _time, ...rest }) => rest);

describe('train (listops, attention, wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('is reproducible from its seed, and a different seed gives different results', async () => {
    const [a, b, c] = [outDir(), outDir(), outDir()];
    const ra = (await train({ resolved: tinyConfig(a), log: silentLogger(), progress: false }))!;
    const rb = (await train({ resolved: tinyConfig(b), log: silentLogger(), progress: false }))!;
    const rc = (await train({ resolved: tinyConfig(c, ['seed=2']), log: silentLogger(), progress: false }))!;
    expect(metricLines(a)).toEqual(metricLines(b));
    expect(ra.metrics).toEqual(rb.metrics);
    expect(metricLines(a)).not.toEqual(metricLines(c));
    expect(ra.backend).toBe('wasm');
    expect(ra.params).toBeGreaterThan(0);
    expect(ra.metrics.test.count).toBe(64);
    expect(ra.metrics.test.majorityRate).toBeGreaterThan(0);
    expect(ra.speed.msPerStep.median).toBeGreaterThan(0);
    expect(ra.memory.peakBytes).toBeGreaterThan(0);
    const report = JSON.parse(readFileSync(join(a, 'report.json'), 'utf8'));
    for (const key of ['task', 'mixer', 'seed', 'backend', 'params', 'steps', 'config', 'metrics', 'speed', 'memory', 'wallSeconds', 'versions'])
      expect(report).toHaveProperty(key);
    expect(report.metrics.best).toHaveProperty('valAccuracy');
    expect(report.speed.msPerStep).toHaveProperty('p90');
  });

  it("tests the last checkpoint too: the same numbers as evaluating last.ckpt afresh", async () => {
    const dir = outDir();
    const resolved = tinyConfig(dir, ['train.checkpointMinutes=0']);
    const report = (await train({ resolved, log: silentLogger(), progress: false }))!;
    const last = report.metrics.testLast!;
    expect(last.step).toBe(12);
    const ckpt = await readCheckpoint<CheckpointMeta>(join(dir, 'checkpoints', 'last.ckpt'));
    expect(ckpt.meta.step).toBe(12);
    const task = getTask('listops');
    const model = createClassifier(classifierConfig(resolved.config, task), 99);
    restoreParams(model, ckpt.entries);
    const { splits } = await ensureTaskData({ task: 'listops', dataDir, generate: JSON.parse(generator) });
    const fresh = await evaluate(model, splits.test, { batchSize: 32, seqLen: 48, maxBatches: null });
    model.dispose();
    expect(last.count).toBe(fresh.count);
    expect(last.accuracy).toBe(fresh.accuracy);
    expect(last.loss).toBeCloseTo(fresh.loss, 5);
    const records = metricLines(dir).filter((m) => String(m.type).startsWith('test'));
    expect(records).toEqual([
      { type: 'test', step: report.metrics.best.step, loss: report.metrics.test.loss, accuracy: report.metrics.test.accuracy, count: 64 },
      { type: 'test-last', step: 12, loss: last.loss, accuracy: last.accuracy, count: 64 },
    ]);
  });

  it('resumes a run killed mid-way to exactly the metrics of an uninterrupted one', async () => {
    const whole = outDir();
    const split = outDir();
    const full = (await train({ resolved: tinyConfig(whole), log: silentLogger(), progress: false }))!;
    // "Killed" after step 6: the last checkpoint is the validation's at step 4 or a timed one after
    // it (written whenever it costs under 1%: timing decides which), so steps after it are redone.
    expect(await train({ resolved: tinyConfig(split), log: silentLogger(), progress: false, stopAfterStep: 6 })).toBeNull();
    const resumed = (await train({ resolved: tinyConfig(split), log: silentLogger(), progress: false, resume: true }))!;
    expect([4, 5, 6]).toContain(resumed.resumedFrom);
    expect(resumed.metrics).toEqual(full.metrics);
    expect(metricLines(split)).toEqual(metricLines(whole));
  });

  it('refuses to resume with a different config', async () => {
    const dir = outDir();
    await train({ resolved: tinyConfig(dir), log: silentLogger(), progress: false, stopAfterStep: 4 });
    await expect(train({ resolved: tinyConfig(dir, ['train.lr=0.01']), log: silentLogger(), progress: false, resume: true })).rejects.toThrow(
      /cannot resume .*: its config differs in train\.lr/,
    );
  });

  it('stops on a non-finite loss, naming the step and the last finite value', async () => {
    const dir = outDir();
    const run = train({
      resolved: tinyConfig(dir, ['train.lr=1e30', 'train.schedule="constant"', 'train.warmup=0']),
      log: silentLogger(),
      progress: false,
    });
    await expect(run).rejects.toThrow(DivergedError);
    await expect(run).rejects.toThrow(/loss is not finite at step \d+; last finite loss [\d.e+-]+ at step \d+/);
  });

  it('keeps the tensor count flat across training steps', async () => {
    const { config } = tinyConfig(outDir());
    const { splits } = await ensureTaskData({ task: 'listops', dataDir, generate: JSON.parse(generator) });
    const model = createClassifier(
      { vocabSize: 17, seqLen: 48, numClasses: 10, dModel: 32, heads: 2, layers: 1, mlpDim: 64, dropout: 0.1, attentionDropout: 0.1, pool: 'cls', positions: 'sinusoidal', mixer: 'attention', mixerOptions: {} },
      3,
    );
    const opt = new AdamW(model.params.variables(), { beta1: 0.9, beta2: 0.98, eps: 1e-9, weightDecay: 0.1, gradClipNorm: 1 });
    const batcher = new SeededBatcher(splits.train, { batchSize: 16, seqLen: 48, seed: config.seed });
    await trainStep(model, opt, batcher.batchAt(0), 1e-3, trainingContext(1, 0));
    const counts: number[] = [];
    for (let step = 1; step <= 5; step++) {
      await trainStep(model, opt, batcher.batchAt(step), 1e-3, trainingContext(1, step));
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    opt.dispose();
    model.dispose();
  });
});
