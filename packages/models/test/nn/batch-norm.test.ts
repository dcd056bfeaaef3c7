// Batch norm against torch's BatchNorm1d (scripts/fixtures/ssm_block_reference.py, float64):
// training outputs, running statistics after several steps (unbiased variance, momentum 0.1),
// evaluation with the running statistics; and, with a mask, statistics over real tokens only,
// against a float64 formula.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { batchNorm } from '../../src/nn/batch-norm.js';
import { inferenceContext, trainingContext, type ForwardContext, type StateUpdate } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';

interface Fixture {
  batchNorm: {
    shape: [number, number, number];
    scale: number[];
    bias: number[];
    train: Array<{ x: number[]; y: number[]; runningMean: number[]; runningVar: number[] }>;
    eval: { x: number[]; y: number[] };
  };
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/encoder/ssm-block-reference.json', import.meta.url), 'utf8'),
) as Fixture;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** A training context whose state updates the caller applies, as the training step does. */
function trainingPass(step: number): { ctx: ForwardContext; updates: StateUpdate[] } {
  const updates: StateUpdate[] = [];
  return { ctx: { ...trainingContext(1, step), stateUpdates: updates }, updates };
}

describe('batchNorm', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  const { shape, scale, bias } = fixture.batchNorm;
  const dim = shape[2];

  function build(): { store: ParamStore; norm: ReturnType<typeof batchNorm> } {
    const store = new ParamStore(1);
    const norm = batchNorm(store, 'norm', dim);
    norm.scale.assign(tf.tensor1d(scale));
    norm.bias.assign(tf.tensor1d(bias));
    return { store, norm };
  }

  it('matches torch BatchNorm1d over three training steps and in evaluation', () => {
    const { store, norm } = build();
    try {
      fixture.batchNorm.train.forEach((expected, step) => {
        const { ctx, updates } = trainingPass(step);
        const y = tf.tidy(() => norm.apply(tf.tensor3d(expected.x, shape), null, ctx));
        expect(maxDiff(y.dataSync(), expected.y)).toBeLessThan(1e-5);
        y.dispose();
        expect(updates).toHaveLength(1);
        // Running statistics move only when the step applies the update.
        if (step === 0) expect(Array.from(norm.runningVar.dataSync())).toEqual([1, 1, 1, 1]);
        for (const update of updates) update.apply();
        expect(maxDiff(norm.runningMean.dataSync(), expected.runningMean)).toBeLessThan(1e-5);
        expect(maxDiff(norm.runningVar.dataSync(), expected.runningVar)).toBeLessThan(1e-4);
      });
      const { x, y } = fixture.batchNorm.eval;
      const out = tf.tidy(() => norm.apply(tf.tensor3d(x, shape), null, inferenceContext()));
      expect(maxDiff(out.dataSync(), y)).toBeLessThan(1e-5);
      out.dispose();
    } finally {
      store.dispose();
    }
  });

  it('keeps the running statistics out of the trained parameters but in snapshots', () => {
    const { store } = build();
    try {
      expect(store.variables().map((p) => p.name)).toEqual(['norm/scale', 'norm/bias']);
      expect(store.states().map((s) => s.name)).toEqual(['norm/runningMean', 'norm/runningVar']);
      expect(store.count()).toBe(2 * dim);
      expect(Object.keys(store.snapshot())).toEqual(['norm/scale', 'norm/bias', 'norm/runningMean', 'norm/runningVar']);
      expect(store.states().every((s) => !s.variable.trainable)).toBe(true);
    } finally {
      store.dispose();
    }
  });

  it('takes its training statistics from real tokens only, and moves the running ones by them', () => {
    const { store, norm } = build();
    const [batch, length] = shape;
    const x = fixture.batchNorm.train[1]!.x;
    const maskValues = Array.from({ length: batch * length }, (_, i) => (i % length < 2 + Math.floor(i / length) ? 1 : 0));
    try {
      const { ctx, updates } = trainingPass(0);
      const y = tf.tidy(() => norm.apply(tf.tensor3d(x, shape), tf.tensor2d(maskValues, [batch, length]), ctx)).arraySync() as number[][][];
      for (const u of updates) u.apply();
      // float64: mean and biased variance per channel over the real positions.
      for (let d = 0; d < dim; d++) {
        const real: number[] = [];
        for (let i = 0; i < batch * length; i++) if (maskValues[i]) real.push(x[i * dim + d]!);
        const mean = real.reduce((a, b) => a + b, 0) / real.length;
        const variance = real.reduce((a, b) => a + (b - mean) ** 2, 0) / real.length;
        for (let i = 0; i < batch * length; i++) {
          const expected = ((x[i * dim + d]! - mean) / Math.sqrt(variance + 1e-5)) * scale[d]! + bias[d]!;
          expect(Math.abs(y[Math.floor(i / length)]![i % length]![d]! - expected)).toBeLessThan(1e-4);
        }
        expect(norm.runningMean.dataSync()[d]).toBeCloseTo(0.1 * mean, 5);
        expect(norm.runningVar.dataSync()[d]).toBeCloseTo(0.9 + 0.1 * variance * (real.length / (real.length - 1)), 4);
      }
    } finally {
      store.dispose();
    }
  });

  it('leaves no tensor behind over training steps, applied or discarded', () => {
    const { store, norm } = build();
    try {
      const x = tf.tensor3d(fixture.batchNorm.train[0]!.x, shape);
      const before = tf.memory().numTensors;
      for (let step = 0; step < 4; step++) {
        const { ctx, updates } = trainingPass(step);
        tf.dispose(norm.apply(x, null, ctx));
        for (const u of updates) (step % 2 === 0 ? u.apply() : u.dispose());
        tf.dispose(norm.apply(x, null, inferenceContext()));
        // Without a sink (the memory planner's trial pass) nothing is kept.
        tf.dispose(norm.apply(x, null, trainingContext(1, step)));
        expect(tf.memory().numTensors).toBe(before);
      }
      x.dispose();
    } finally {
      store.dispose();
    }
  });
});
