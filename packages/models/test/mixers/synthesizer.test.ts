import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { synthesizer } from '../../src/mixers/synthesizer.js';
import { buildFromCase, fixtureError, lraFixtureCases } from './support/lra-code-fixture.js';
import {
  expectDropoutInTrainingOnly,
  expectGradientsMatch,
  expectNoLeaks,
  expectShapesWithoutMask,
  realChangeWhenPaddingChanges,
} from './support/lra-mixer-checks.js';
import { exactAttention, exactLimitError } from './support/lra-exact-limit.js';
import { trainsOnSyntheticTask } from './support/trains.js';

const cases = lraFixtureCases('synthesizer');
const random = cases.find((c) => c.options.mode === 'random' && c.options.ignoreDotProduct === false)!;
const withDotProduct = cases.filter((c) => c.options.ignoreDotProduct === false);
const withoutDotProduct = cases.filter((c) => c.options.ignoreDotProduct === true);

describe('synthesizer defaults and parameters', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it("are LRA's run: mode 'random' added to the dot product", () => {
    expect(synthesizer.defaults).toEqual({ mode: 'random', k: 32, ignoreDotProduct: false, qkvDim: null, impl: 'lra' });
  });

  it('holds one [H, N, N] random matrix per layer, xavier-uniform over its fans', () => {
    const store = new ParamStore(3);
    const seqLen = 33;
    synthesizer.create({ dModel: 16, heads: 4, seqLen, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0 }, synthesizer.defaults);
    expect(store.variables().map((p) => p.name).sort()).toEqual(['mixer/key/kernel', 'mixer/output/kernel', 'mixer/query/kernel', 'mixer/random', 'mixer/value/kernel']);
    const values = store.get('mixer/random');
    expect(values.shape).toEqual([4, seqLen, seqLen]);
    // jax's fans of [4, 33, 33]: 4 * 33 each way.
    const limit = Math.sqrt(6 / (2 * 4 * seqLen));
    const data = values.dataSync();
    expect(Math.max(...Array.from(data, Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...Array.from(data, Math.abs))).toBeGreaterThan(0.9 * limit);
    store.dispose();
  });
});

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`synthesizer on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    for (const c of cases) {
      it(`equals the numpy port of LRA's code (length ${c.length} of ${c.seqLen}): ${c.name}`, () => {
        expect(fixtureError(synthesizer, c)).toBeLessThan(1e-5);
      });
    }

    it('keeps shapes without a mask, where a mask of ones changes nothing', () => {
      for (const c of cases) expectShapesWithoutMask(synthesizer, c);
    });
  });
}

describe('synthesizer behaviour (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it("with the dot product and random scores, leaves real outputs unchanged when only padded tokens change", () => {
    for (const c of withDotProduct.filter((c) => !String(c.options.mode).includes('dense'))) {
      expect(realChangeWhenPaddingChanges(synthesizer, c), c.name).toBe(0);
    }
  });

  it('with dense synthetic scores, lets padded tokens change real outputs, as LRA code does', () => {
    // LRA's code reshapes the dense scores [B, N, H, maxLength] to [B, H, N, maxLength] without
    // transposing, so a query's row is made from other positions' projections, padded ones too.
    for (const c of withDotProduct.filter((c) => String(c.options.mode).includes('dense'))) {
      expect(realChangeWhenPaddingChanges(synthesizer, c), c.name).toBeGreaterThan(1e-3);
    }
  });

  it('without the dot product, lets padded tokens change real outputs, as LRA code does (it applies no padding mask then)', () => {
    for (const c of withoutDotProduct) expect(realChangeWhenPaddingChanges(synthesizer, c), c.name).toBeGreaterThan(1e-3);
  });

  it('with a zero random matrix, is softmax attention', () => {
    const c = random;
    const { store, mixer } = buildFromCase(synthesizer, c);
    tf.tidy(() => store.get('mixer/random').assign(tf.zerosLike(store.get('mixer/random'))));
    expect(exactLimitError(mixer, c, exactAttention(store, c, null), false)).toBeLessThan(2e-5);
    expect(exactLimitError(mixer, c, exactAttention(store, c, c.mask), true)).toBeLessThan(2e-5);
    store.dispose();
  });

  it('refuses inputs longer than its synthetic weights', () => {
    const { store, mixer } = buildFromCase(synthesizer, random);
    expect(() => mixer.apply(tf.zeros([1, random.seqLen + 1, random.dModel]) as tf.Tensor3D, null, inferenceContext())).toThrow(
      'synthesizer: its synthetic weights cover 9 positions, got 10',
    );
    store.dispose();
  });

  for (const c of cases) {
    it(`has gradients that match finite differences for the input and every parameter: ${c.name}`, () => {
      expectGradientsMatch(synthesizer, c);
    });
  }

  it('drops attention weights in training only', () => {
    expectDropoutInTrainingOnly(synthesizer, random);
  });

  it('leaves no tensors behind', () => {
    for (const c of cases) expectNoLeaks(synthesizer, c, 5);
  });

  it('trains: a few dozen steps lower the loss on a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('synthesizer', {}, { steps: 40 });
    expect(leaked).toBe(0);
    expect(lastLoss).toBeLessThan(firstLoss * 0.8);
  });

  it('validates its options', () => {
    const args = { dModel: 8, heads: 3, seqLen: 10, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
    expect(synthesizer.validate!(args, synthesizer.defaults)).toBe('qkvDim 8 is not divisible by 3 heads');
    const ok = { ...args, heads: 2 };
    expect(synthesizer.validate!(ok, { ...synthesizer.defaults, k: 0 })).toBe('k must be a positive integer, got 0');
    expect(synthesizer.validate!(ok, synthesizer.defaults)).toBeNull();
  });
});
