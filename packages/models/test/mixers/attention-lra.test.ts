// Softmax attention with impl 'lra' against an independent numpy port of LRA's Flax attention
// (scripts/fixtures/lra_attention_b.py): padded queries attend uniformly to every key.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { attention, type AttentionOptions } from '../../src/mixers/attention.js';
import { resolveMixerOptions } from '../../src/mixers/registry.js';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { buildMixer, inputValues, leakedTensors, mixerGradients, tailMask, type Sizes } from './attention-family.js';
import { compareImplementations, type Shape } from './support/dense-vs-blocked.js';
import { loadWeights, maxAbsError, readLraFixture } from './support/lra-fixture.js';

interface AttentionFixture {
  batch: number;
  length: number;
  dModel: number;
  heads: number;
  x: number[];
  mask: number[];
  lossWeights: number[];
  params: Record<string, number[]>;
  output: number[];
  grads: Record<string, number[]>;
}

const fixture = readLraFixture<AttentionFixture>('attention');
const sizes: Sizes = { batch: fixture.batch, length: fixture.length, dModel: fixture.dModel, heads: fixture.heads };
const shape: [number, number, number] = [fixture.batch, fixture.length, fixture.dModel];

function loaded(options: Partial<AttentionOptions>) {
  const built = buildMixer(attention, options, sizes);
  loadWeights(built.store, fixture.params);
  return built;
}

/** Output and the gradients of sum(output * lossWeights) by the input and every parameter. */
function run(options: Partial<AttentionOptions>): { y: Float32Array; grads: Record<string, Float32Array> } {
  const built = loaded(options);
  const result = tf.tidy(() => {
    const x = tf.tensor3d(fixture.x, shape);
    const mask = tf.tensor2d(fixture.mask, [fixture.batch, fixture.length]);
    const weights = tf.tensor3d(fixture.lossWeights, shape);
    const y = built.mixer.apply(x, mask, inferenceContext());
    expect(y.shape).toEqual(shape);
    const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(built.mixer.apply(input as tf.Tensor3D, mask, inferenceContext()), weights));
    const grads: Record<string, Float32Array> = { input: tf.grad(loss)(x).dataSync() as Float32Array };
    const { value, grads: byVariable } = tf.variableGrads(() => loss(x));
    value.dispose();
    for (const { name, variable } of built.store.variables()) grads[name] = byVariable[variable.name]!.dataSync() as Float32Array;
    return { y: y.dataSync() as Float32Array, grads };
  });
  built.store.dispose();
  return result;
}

const paddedRow = (i: number): boolean => fixture.mask[Math.floor(i / fixture.dModel)] === 0;

describe("attention impl 'lra'", () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it("is an option, 'clean' by default", () => {
    expect(resolveMixerOptions('attention').impl).toBe('clean');
    expect(resolveMixerOptions('attention', { impl: 'lra' }).impl).toBe('lra');
    expect(() => resolveMixerOptions('attention', { impl: 'paper' })).toThrow(/"impl" of mixer attention must be one of "clean", "lra"/);
  });

  for (const implementation of ['dense', 'blocked'] as const) {
    it(`matches LRA's Flax attention on the ${implementation} path, padded queries included`, () => {
      const { y, grads } = run({ impl: 'lra', implementation, blockSize: 3, keyBlockSize: 4 });
      expect(maxAbsError(y, fixture.output)).toBeLessThan(1e-5);
      // Gradients as JAX's autodiff takes them: a padded query's scores get softmax's gradient at
      // its uniform weights.
      for (const [name, expected] of Object.entries(fixture.grads)) {
        const scale = Math.max(1, ...expected.map(Math.abs));
        expect(maxAbsError(grads[name]!, expected) / scale, name).toBeLessThan(2e-5);
      }
    });
  }

  it("leaves real queries as 'clean' computes them and changes only padded ones", () => {
    const lra = run({ impl: 'lra', implementation: 'dense' }).y;
    const clean = run({ impl: 'clean', implementation: 'dense' }).y;
    let realDiff = 0;
    let paddedDiff = 0;
    for (let i = 0; i < lra.length; i++) {
      const diff = Math.abs(lra[i]! - clean[i]!);
      if (paddedRow(i)) paddedDiff = Math.max(paddedDiff, diff);
      else realDiff = Math.max(realDiff, diff);
    }
    expect(realDiff).toBeLessThan(1e-6);
    expect(paddedDiff).toBeGreaterThan(1e-2);
  });

  it('reads uniform weights for padded queries in inspect()', () => {
    const built = loaded({ impl: 'lra' });
    const x = tf.tensor3d(fixture.x, shape);
    const mask = tf.tensor2d(fixture.mask, [fixture.batch, fixture.length]);
    const before = tf.memory().numTensors;
    const { attention: weights } = built.mixer.inspect!(x, mask, inferenceContext());
    expect(tf.memory().numTensors).toBe(before);
    const n = fixture.length;
    const row = (b: number, h: number, i: number) => Array.from(weights!.probabilities.subarray(((b * fixture.heads + h) * n + i) * n, ((b * fixture.heads + h) * n + i + 1) * n));
    expect(row(0, 1, n - 1).every((w) => Math.abs(w - 1 / n) < 1e-7)).toBe(true);
    // A real query gives its padded keys no weight.
    expect(row(0, 0, 0).slice(n - 3).every((w) => w < 1e-30)).toBe(true);
    tf.dispose([x, mask]);
    built.store.dispose();
  });

  it('has finite-difference gradients on a tiny case', () => {
    const tiny: Sizes = { batch: 2, length: 4, dModel: 4, heads: 2 };
    const built = buildMixer(attention, { impl: 'lra', implementation: 'dense' }, tiny);
    // Differences through a padded query's row see only its rounded, uniform weights, not the
    // gradient LRA's autodiff takes there (checked against numpy above): the loss reads real rows.
    const report = mixerGradients(built, inputValues('lra-attention-grad', tiny), tailMask(tiny, [1, 0]), tiny);
    for (const [name, scaled] of Object.entries(report.scaled)) expect(scaled, name).toBeLessThan(1);
    built.store.dispose();
  });

  it('gives the dense path\'s values and gradients on the blocked path under dropout', () => {
    const blockedShape: Shape = { batch: 2, length: 11, dModel: 8, heads: 2 };
    compareImplementations(attention, {
      name: 'lra', shape: blockedShape, options: { impl: 'lra', blockSize: 4, keyBlockSize: 8 }, dropout: 0.2, masked: true,
      ctx: () => trainingContext(5, 2),
    });
  });

  it('leaks no tensors', () => {
    const built = buildMixer(attention, { impl: 'lra' }, { batch: 2, length: 6, dModel: 8, heads: 2 }, { attentionDropout: 0.1 });
    expect(leakedTensors(built, { batch: 2, length: 6, dModel: 8, heads: 2 })).toBe(0);
    built.store.dispose();
  });
});
