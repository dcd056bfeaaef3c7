// The memory planner predicts a step's peak from two probe passes and picks the micro-batch.
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTaskData, SeededBatcher, type Batch } from '@lra/data';
import { createClassifier, selectBackend, trainingContext, type ClassifierConfig } from '@lra/models';
import { formatDuration, etaSeconds } from '../../src/plan/eta.js';
import { memoryLimit } from '../../src/plan/memory-limit.js';
import { planMemory } from '../../src/plan/memory-plan.js';
import { isOutOfMemory, StepMemoryError } from '../../src/plan/out-of-memory.js';
import { AdamW } from '../../src/train/optimizer.js';
import { trainStep } from '../../src/train/step.js';

const dataDir = mkdtempSync(join(tmpdir(), 'lra-plan-data-'));
const MiB = 2 ** 20;

const config = (mixer: ClassifierConfig['mixer'], seqLen: number, mixerOptions: Record<string, unknown> = {}): ClassifierConfig => ({
  vocabSize: 17, seqLen, numClasses: 10, dModel: 32, heads: 2, layers: 2, mlpDim: 64,
  dropout: 0.1, attentionDropout: 0.1, pool: 'cls', positions: 'sinusoidal', mixer, mixerOptions,
});

async function firstBatch(seqLen: number, batchSize: number): Promise<Batch> {
  const { splits } = await ensureTaskData({ task: 'listops', dataDir, generate: { counts: { train: 128, val: 16, test: 16 }, minLength: seqLen - 20, maxLength: seqLen, seed: 3 } });
  return new SeededBatcher(splits.train, { batchSize, seqLen, seed: 1 }).batchAt(0);
}

describe('memory planner (wasm, exact heap accounting)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  const cases = [['attention', 256, {}], ['attention', 256, { implementation: 'blocked' }], ['fnet', 256, {}], ['s4d', 128, {}]] as const;
  for (const [mixer, seqLen, options] of cases) {
    it(`${mixer} ${JSON.stringify(options)}: the predicted peak is within 25% of the measured one, at the chosen and at a forced micro-batch`, async () => {
      const batch = await firstBatch(seqLen, 16);
      const model = createClassifier(config(mixer, seqLen, options), 2);
      const optimizer = new AdamW(model.params.variables(), { beta1: 0.9, beta2: 0.98, eps: 1e-9, weightDecay: 0.1, gradClipNorm: null });
      const context = (slice?: { offset: number; count: number }) => trainingContext(1, 0, slice);
      for (const requested of ['auto', 4] as const) {
        const plan = await planMemory({ model, batch, context, requested, limit: memoryLimit('wasm') });
        expect(plan.microBatch).toBe(requested === 'auto' ? 16 : 4);
        const step = await trainStep(model, optimizer, batch, 1e-4, context, 1, plan.microBatch);
        const ratio = plan.predictedPeakBytes / step.peakBytes;
        expect(ratio, `${requested}: predicted ${plan.predictedPeakBytes}, measured ${step.peakBytes}`).toBeGreaterThan(0.75);
        expect(ratio).toBeLessThan(1.25);
      }
      optimizer.dispose();
      model.dispose();
    });
  }

  it('picks the largest micro-batch under the limit, spread evenly, and the step then fits', async () => {
    const batch = await firstBatch(256, 16);
    const model = createClassifier(config('attention', 256), 2);
    const context = (slice?: { offset: number; count: number }) => trainingContext(1, 0, slice);
    const free = await planMemory({ model, batch, context, requested: 'auto', limit: memoryLimit('wasm') });
    // A limit that holds about 5 examples' activations.
    const limit = free.baseBytes + free.paramBytes + 5.5 * free.perExampleBytes;
    const plan = await planMemory({ model, batch, context, requested: 'auto', limit: { bytes: limit, source: 'test' } });
    expect(plan.passes).toBe(Math.ceil(16 / 5));
    expect(plan.microBatch).toBe(Math.ceil(16 / plan.passes));
    expect(plan.predictedPeakBytes).toBeLessThanOrEqual(limit);
    model.dispose();
  });

  it('refuses an explicit micro-batch that does not fit, saying what would', async () => {
    const batch = await firstBatch(256, 16);
    const model = createClassifier(config('attention', 256), 2);
    const context = (slice?: { offset: number; count: number }) => trainingContext(1, 0, slice);
    const free = await planMemory({ model, batch, context, requested: 'auto', limit: memoryLimit('wasm') });
    const limit = { bytes: free.baseBytes + free.paramBytes + 3.5 * free.perExampleBytes, source: 'test limit' };
    const refused = planMemory({ model, batch, context, requested: 16, limit });
    await expect(refused).rejects.toThrow(StepMemoryError);
    await expect(refused).rejects.toThrow(/needs about [\d.]+ MiB and the limit is [\d.]+ MiB \(test limit\); train\.microBatch=16 is too large; set train\.microBatch=3 or train\.microBatch=auto/);
    const none = planMemory({ model, batch, context, requested: 'auto', limit: { bytes: 1 * MiB, source: 'test limit' } });
    await expect(none).rejects.toThrow(/set model\.recompute=block/);
    expect(tf.memory().numTensors).toBeGreaterThan(0);
    model.dispose();
  });
});

describe('plan helpers', () => {
  it('recognises what backends say when memory runs out', () => {
    expect(isOutOfMemory(new RangeError('Invalid typed array length: 134217728'))).toBe(true);
    expect(isOutOfMemory(new Error('memory access out of bounds'))).toBe(true);
    expect(isOutOfMemory(new Error('OOM when allocating tensor with shape[32,8,4096,4096]'))).toBe(true);
    expect(isOutOfMemory(new Error('loss is not finite at step 3'))).toBe(false);
  });

  it('estimates the time left from the step time, evaluations included, and says it as a person would', () => {
    const eta = etaSeconds(1000, { stepsLeft: 100, batchSize: 30, evaluationsLeft: 2, valExamples: 90, testExamples: 90 });
    // 100 steps of 1 s, then 270 examples forward at 1/3 of a training step's per-example time.
    expect(eta).toBeCloseTo(100 + 270 * (1000 / 30 / 3) / 1000, 6);
    expect(formatDuration(59)).toBe('59s');
    expect(formatDuration(125)).toBe('2m 05s');
    expect(formatDuration(3 * 3600 + 60 * 7)).toBe('3h 07m');
    expect(formatDuration(2 * 86400 + 5 * 3600)).toBe('2d 5h');
  });
});
