// Training with backbone 'ssm' and batch norm: the step moves the running statistics once per
// pass and leaves no tensor behind; the optimiser never touches them; checkpoints carry them, so
// evaluation after a restore and a resumed run are those of the uninterrupted run; and a small
// S4D model learns a synthetic task, judged in evaluation mode (running statistics).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Batch } from '@lra/data';
import { createClassifier, inferenceContext, selectBackend, trainingContext, type ClassifierConfig } from '@lra/models';
import { resolveConfig } from '../../src/config/resolve.js';
import { readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint.js';
import { AdamW } from '../../src/train/optimizer.js';
import { restoreParams, train } from '../../src/train/run.js';
import { trainStep } from '../../src/train/step.js';
import { silentLogger } from '../../src/util/logger.js';

const LENGTH = 16;

function config(): ClassifierConfig {
  return {
    vocabSize: 4, seqLen: LENGTH, numClasses: 2, dModel: 16, heads: 1, layers: 2, mlpDim: 16, dropout: 0, attentionDropout: 0,
    pool: 'mean', positions: 'none', mixer: 's4d', mixerOptions: { dState: 8 }, backbone: 'ssm', norm: 'batch', block: 'post-ln',
  };
}

/** Rows of 1s and 2s with some padding; label 1 when 1s outnumber 2s. */
function majorityBatch(seed: number, size: number): Batch {
  let state = seed;
  const random = (): number => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const tokens = new Int32Array(size * LENGTH);
  const labels = new Int32Array(size);
  const lengths = new Int32Array(size);
  for (let r = 0; r < size; r++) {
    const length = 9 + Math.floor(random() * (LENGTH - 8));
    let ones = 0;
    for (let i = 0; i < length; i++) {
      const id = random() < 0.5 ? 1 : 2;
      if (id === 1) ones++;
      tokens[r * LENGTH + i] = id;
    }
    // Odd lengths or a tie broken towards 2: the label is a function of the row.
    labels[r] = ones * 2 > length ? 1 : 0;
    lengths[r] = length;
  }
  return { size, seqLen: LENGTH, tokens, labels, lengths, indices: Int32Array.from({ length: size }, (_, i) => i) };
}

function accuracy(model: ReturnType<typeof createClassifier>, batch: Batch): number {
  return tf.tidy(() => {
    const logits = model.logits({ tokens: tf.tensor2d(batch.tokens, [batch.size, LENGTH], 'int32') }, inferenceContext());
    const predicted = logits.argMax(-1).dataSync();
    return predicted.reduce((n, p, i) => n + (p === batch.labels[i] ? 1 : 0), 0) / batch.size;
  });
}

describe('training with backbone ssm and batch norm (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('learns a synthetic task, moves the running statistics once per pass, and keeps the tensor count flat', async () => {
    const model = createClassifier(config(), 2);
    const optimizer = new AdamW(model.params.variables(), { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05, gradClipNorm: null });
    const runningMean = model.params.states().find((s) => s.name === 'layer0/norm/runningMean')!.variable;
    const held = majorityBatch(999, 128);
    const before = accuracy(model, held);
    let tensors = -1;
    for (let step = 0; step < 80; step++) {
      const previous = runningMean.dataSync().slice();
      await trainStep(model, optimizer, majorityBatch(step + 1, 32), 1e-2, (slice) => trainingContext(1, step, slice), 1, step % 2 === 0 ? 32 : 16);
      expect(Array.from(runningMean.dataSync())).not.toEqual(Array.from(previous));
      if (step === 1) tensors = tf.memory().numTensors;
      if (step > 1) expect(tf.memory().numTensors).toBe(tensors);
    }
    // The optimiser holds moments for the parameters only.
    expect(optimizer.state().some(({ key }) => key.includes('running'))).toBe(false);
    const after = accuracy(model, held);
    expect(after).toBeGreaterThan(0.9);
    expect(after).toBeGreaterThan(before);
    optimizer.dispose();
    model.dispose();
  });

  it('saves and restores the running statistics with the parameters', async () => {
    const model = createClassifier(config(), 2);
    const optimizer = new AdamW(model.params.variables(), { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, gradClipNorm: null });
    for (let step = 0; step < 3; step++) await trainStep(model, optimizer, majorityBatch(step + 1, 32), 1e-2, trainingContext(1, step));
    const path = join(mkdtempSync(join(tmpdir(), 'lra-ssm-ckpt-')), 'last.ckpt');
    const entries = Object.entries(model.params.snapshot()).map(([name, t]) => ({ key: `param/${name}`, shape: t.shape, values: t.values }));
    await writeCheckpoint(path, { step: 3 }, entries);
    const restored = createClassifier(config(), 99);
    restoreParams(restored, (await readCheckpoint<{ step: number }>(path)).entries);
    const batch = majorityBatch(5, 16);
    const logits = (m: typeof model) =>
      tf.tidy(() => Array.from(m.logits({ tokens: tf.tensor2d(batch.tokens, [16, LENGTH], 'int32') }, inferenceContext()).dataSync()));
    expect(logits(restored)).toEqual(logits(model));
    expect(Array.from(restored.params.states()[1]!.variable.dataSync())).not.toEqual([...new Array(16)].map(() => 1));
    optimizer.dispose();
    model.dispose();
    restored.dispose();
  });

  it('resumes a run to the metrics of the uninterrupted run', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lra-ssm-data-'));
    const generator = JSON.stringify({ counts: { train: 160, val: 32, test: 32 }, minLength: 8, maxLength: 32, seed: 3 });
    const resolved = (out: string) =>
      resolveConfig({
        task: 'listops', mixer: 's4d', preset: 'tiny', dataDir, out,
        sets: [
          `data.generator=${generator}`, 'data.seqLen=32', 'backend=wasm', 'model.dModel=16', 'model.layers=2', 'model.backbone=ssm',
          'model.norm=batch', 'model.block=post-ln', 'model.pool=mean', 'model.positions=none', 'model.mixerOptions={"dState":4}',
          'train.batchSize=16', 'train.steps=8', 'train.warmup=2', 'train.logEvery=2', 'train.evalEvery=4', 'train.evalBatchSize=32',
        ],
      });
    const whole = mkdtempSync(join(tmpdir(), 'lra-ssm-run-'));
    const split = mkdtempSync(join(tmpdir(), 'lra-ssm-run-'));
    const full = (await train({ resolved: resolved(whole), log: silentLogger(), progress: false }))!;
    expect(await train({ resolved: resolved(split), log: silentLogger(), progress: false, stopAfterStep: 6 })).toBeNull();
    const resumed = (await train({ resolved: resolved(split), log: silentLogger(), progress: false, resume: true }))!;
    expect(resumed.metrics).toEqual(full.metrics);
    const ckpt = await readCheckpoint(join(whole, 'checkpoints', 'last.ckpt'));
    expect([...ckpt.entries.keys()]).toContain('param/layer0/norm/runningVar');
    const saved = JSON.parse(readFileSync(join(whole, 'config.json'), 'utf8'));
    expect(saved.model).toMatchObject({ backbone: 'ssm', norm: 'batch' });
  });
});
