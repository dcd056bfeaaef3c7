// Gradient accumulation: a batch processed in micro-batches makes the update of the whole batch.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTaskData, SeededBatcher } from '@lra/data';
import { createClassifier, selectBackend, trainingContext, type ClassifierConfig } from '@lra/models';
import { resolveConfig } from '../../src/config/resolve.js';
import { microBatchSlices, sliceBatch } from '../../src/train/micro-batches.js';
import { AdamW } from '../../src/train/optimizer.js';
import { train } from '../../src/train/run.js';
import { trainStep } from '../../src/train/step.js';
import { silentLogger } from '../../src/util/logger.js';

const dataDir = mkdtempSync(join(tmpdir(), 'lra-micro-data-'));
const generator = { counts: { train: 256, val: 64, test: 64 }, minLength: 8, maxLength: 40, seed: 11 };

function modelConfig(dropout: number): ClassifierConfig {
  return {
    vocabSize: 17, seqLen: 40, numClasses: 10, dModel: 32, heads: 2, layers: 2, mlpDim: 64,
    dropout, attentionDropout: dropout, pool: 'cls', positions: 'sinusoidal', mixer: 'attention', mixerOptions: {},
  };
}

/** Every parameter after `steps` steps of batch 32 split into micro-batches of `microBatch`. */
async function paramsAfter(microBatch: number, dropout: number, steps = 3, sliceAware = true): Promise<Map<string, Float32Array>> {
  const { splits } = await ensureTaskData({ task: 'listops', dataDir, generate: generator });
  const model = createClassifier(modelConfig(dropout), 3);
  const optimizer = new AdamW(model.params.variables(), { beta1: 0.9, beta2: 0.98, eps: 1e-9, weightDecay: 0.1, gradClipNorm: 1 });
  const batcher = new SeededBatcher(splits.train, { batchSize: 32, seqLen: 40, seed: 5 });
  for (let step = 0; step < steps; step++) {
    // sliceAware false: every micro-batch draws its masks as if it were a whole batch.
    await trainStep(model, optimizer, batcher.batchAt(step), 1e-3, (slice) => trainingContext(1, step, sliceAware ? slice : undefined), 1, microBatch);
  }
  const out = new Map(Object.entries(model.params.snapshot()).map(([name, v]) => [name, v.values.slice()]));
  optimizer.dispose();
  model.dispose();
  return out;
}

function expectSameParams(a: Map<string, Float32Array>, b: Map<string, Float32Array>, tolerance: number): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [name, x] of a) {
    const y = b.get(name)!;
    let diff = 0;
    let norm = 1e-12;
    for (let i = 0; i < x.length; i++) {
      diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
      norm = Math.max(norm, Math.abs(x[i]!));
    }
    expect(diff / norm, name).toBeLessThan(tolerance);
  }
}

describe('gradient accumulation over micro-batches (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('splits a batch into even slices of views', () => {
    expect(microBatchSlices(32, 11)).toEqual([{ offset: 0, size: 11 }, { offset: 11, size: 11 }, { offset: 22, size: 10 }]);
    expect(microBatchSlices(5, 8)).toEqual([{ offset: 0, size: 5 }]);
    expect(() => microBatchSlices(5, 0)).toThrow(/micro-batch must be a positive integer/);
    const tokens = Int32Array.from({ length: 12 }, (_, i) => i);
    const part = sliceBatch({ size: 4, seqLen: 3, tokens, labels: Int32Array.from([7, 8, 9, 6]), indices: Int32Array.from([0, 1, 2, 3]) }, 1, 2);
    expect(Array.from(part.tokens)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(Array.from(part.labels)).toEqual([8, 9]);
  });

  it('without dropout: 3 steps of batch 32 equal 3 steps of 4 x 8 micro-batches within 1e-5', async () => {
    const whole = await paramsAfter(32, 0);
    const micro = await paramsAfter(8, 0);
    const uneven = await paramsAfter(12, 0); // 12 + 12 + 8: unequal slices weigh by examples
    expectSameParams(micro, whole, 1e-5);
    expectSameParams(uneven, whole, 1e-5);
    // The comparison is not vacuous: the parameters moved.
    const init = await paramsAfter(32, 0, 0);
    expect([...whole].some(([name, v]) => v.some((x, i) => x !== init.get(name)![i]))).toBe(true);
  });

  it('with dropout: each micro-batch draws its slice of the whole batch mask', async () => {
    const whole = await paramsAfter(32, 0.3);
    const micro = await paramsAfter(8, 0.3);
    expectSameParams(micro, whole, 1e-5);
    // Had each micro-batch drawn masks of its own, the runs would part.
    const unaware = await paramsAfter(8, 0.3, 3, false);
    expect(() => expectSameParams(unaware, whole, 1e-3)).toThrow();
  });

  it('keeps the tensor count flat across accumulated steps', async () => {
    const { splits } = await ensureTaskData({ task: 'listops', dataDir, generate: generator });
    const model = createClassifier(modelConfig(0.1), 3);
    const optimizer = new AdamW(model.params.variables(), { beta1: 0.9, beta2: 0.98, eps: 1e-9, weightDecay: 0.1, gradClipNorm: 1 });
    const batcher = new SeededBatcher(splits.train, { batchSize: 32, seqLen: 40, seed: 5 });
    const counts: number[] = [];
    for (let step = 0; step < 4; step++) {
      await trainStep(model, optimizer, batcher.batchAt(step), 1e-3, (slice) => trainingContext(1, step, slice), 1, 10);
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    optimizer.dispose();
    model.dispose();
  });

  it('runs with train.microBatch 8 and 16 give the same metrics, dropout on', async () => {
    const run = async (microBatch: number) => {
      const out = mkdtempSync(join(tmpdir(), 'lra-micro-run-'));
      const resolved = resolveConfig({
        task: 'listops', mixer: 'attention', preset: 'tiny', dataDir, out,
        sets: [
          `data.generator=${JSON.stringify(generator)}`, 'data.seqLen=40', 'backend=wasm', 'model.dModel=32', 'model.heads=2',
          'model.layers=1', 'model.mlpDim=64', 'model.attentionDropout=0.1', 'train.batchSize=16', 'train.steps=8', 'train.warmup=2',
          'train.logEvery=2', 'train.evalEvery=4', 'train.evalBatchSize=32', `train.microBatch=${microBatch}`,
        ],
      });
      const report = (await train({ resolved, log: silentLogger(), progress: false }))!;
      const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
      return { report, lines };
    };
    const eight = await run(8);
    const sixteen = await run(16);
    expect(eight.report.plan).toMatchObject({ requested: 8, microBatch: 8, passes: 2 });
    expect(sixteen.report.plan).toMatchObject({ requested: 16, microBatch: 16, passes: 1 });
    expect(eight.lines.length).toBe(sixteen.lines.length);
    for (let i = 0; i < eight.lines.length; i++) {
      const [a, b] = [eight.lines[i]!, sixteen.lines[i]!];
      expect(a.type).toBe(b.type);
      expect(a.step).toBe(b.step);
      expect(a.accuracy, `${a.type} at step ${a.step}`).toBe(b.accuracy);
      // Sums in another order: equal to float32 rounding, not bit for bit.
      expect(Math.abs(a.loss! - b.loss!) / b.loss!, `${a.type} loss at step ${a.step}`).toBeLessThan(1e-5);
    }
    expect(eight.report.metrics.test.accuracy).toBe(sixteen.report.metrics.test.accuracy);
  });
});
