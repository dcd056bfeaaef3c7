import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier } from '@lra/models';
import { benchCell, benchConfig, benchModels } from '../../src/bench/model-bench.js';

const shape = { batch: 2, dModel: 16, heads: 4, layers: 1, mlpDim: 32 };
const counts = { warmup: 1, repeats: 2 };

describe('one benchmark cell in this process', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('measures the contract fields, the process peak and the counts, and frees every tensor', async () => {
    const before = tf.memory().numTensors;
    const row = await benchCell('fnet', 32, { ...shape, ...counts });
    expect(tf.memory().numTensors).toBe(before);
    expect(row.error).toBeUndefined();
    const model = createClassifier(benchConfig('fnet', 32, shape), 1);
    expect(row.params).toBe(model.paramCount());
    model.dispose();
    expect(row.stepMs).toBeGreaterThan(0);
    expect(row.forwardMs).toBeGreaterThan(0);
    expect(row.tokensPerSec).toBeCloseTo((2 * 32 * 1000) / row.stepMs, 6);
    expect(row.peakBytes).toBeGreaterThan(0);
    // The process's peak resident set is at least its current one.
    expect(row.rssPeakBytes).toBeGreaterThanOrEqual(process.memoryUsage().rss * 0.5);
    expect(row).toMatchObject({ mixer: 'fnet', length: 32, warmup: 1, repeats: 2 });
  });

  it('turns a failure into the row\'s error with NaN timings', async () => {
    const [row] = await benchModels({ ...shape, dModel: 18, ...counts, mixers: ['attention'], lengths: [16] });
    expect(row!.error).toMatch(/invalid classifier config: .*not divisible by 4 heads/);
    expect(Number.isNaN(row!.stepMs)).toBe(true);
    expect(row!.rssPeakBytes).toBeGreaterThan(0);
  });

  it('names reversible in the config only when asked', () => {
    expect('reversible' in benchConfig('fnet', 32, shape)).toBe(false);
    expect(benchConfig('fnet', 32, { ...shape, reversible: true })).toMatchObject({ reversible: true, block: 'pre-ln', pool: 'mean', vocabSize: 256, numClasses: 10 });
  });
});
