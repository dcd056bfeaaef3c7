import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { sparseTransformer } from '../../src/mixers/sparse-transformer.js';
import { fixedPattern, fixedPatternAllows } from '../../src/mixers/sparse-transformer-pattern.js';
import { buildFromCase, caseInput, fixtureError, lraFixtureCases } from './support/lra-code-fixture.js';
import {
  expectDropoutInTrainingOnly,
  expectGradientsMatch,
  expectNoLeaks,
  expectShapesWithoutMask,
  realChangeWhenPaddingChanges,
} from './support/lra-mixer-checks.js';
import { exactAttention, exactLimitError } from './support/lra-exact-limit.js';
import { trainsOnSyntheticTask } from './support/trains.js';

const cases = lraFixtureCases('sparse-transformer');
const withCls = cases.find((c) => c.hasCls)!;
const withoutCls = cases.find((c) => !c.hasCls)!;

describe('sparse-transformer pattern', () => {
  it("is LRA's run: Fixed1(50) or Fixed2(50, c 10), both causal", () => {
    expect(sparseTransformer.defaults).toEqual({ blockSize: 50, c: 10, qkvDim: null, impl: 'lra' });
    const lra = { blockSize: 50, c: 10 };
    // Own block, causal.
    expect(fixedPatternAllows(73, 50, lra)).toBe(true);
    expect(fixedPatternAllows(73, 74, lra)).toBe(false);
    // Earlier blocks: only their first position and their last c.
    expect(fixedPatternAllows(73, 0, lra)).toBe(true);
    expect(fixedPatternAllows(73, 39, lra)).toBe(false);
    expect(fixedPatternAllows(73, 40, lra)).toBe(true);
    expect(fixedPatternAllows(73, 49, lra)).toBe(true);
    // Fixed2's summary positions are causal too: a later block's are not seen.
    expect(fixedPatternAllows(10, 40, lra)).toBe(false);
    expect(fixedPatternAllows(10, 100, lra)).toBe(false);
  });

  it('with CLS, opens its row and column and shifts the rest by one', () => {
    const options = { blockSize: 2, c: 0 };
    const n = 5;
    const allowed = fixedPattern(n, options, true);
    const at = (q: number, k: number) => allowed[q * n + k];
    for (let i = 0; i < n; i++) {
      expect(at(0, i)).toBe(1);
      expect(at(i, 0)).toBe(1);
    }
    // Positions 1..4 are 0..3 of the pattern: 3 (pattern 2) sees pattern 2 and the summary 0 only.
    expect([1, 2, 3, 4].map((k) => at(3, k))).toEqual([1, 0, 1, 0]);
    const plain = fixedPattern(4, options, false);
    for (let q = 0; q < 4; q++) for (let k = 0; k < 4; k++) expect(at(q + 1, k + 1)).toBe(plain[q * 4 + k]);
  });
});

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`sparse-transformer on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    for (const c of cases) {
      it(`equals the numpy port of LRA's code: ${c.name}`, () => {
        expect(fixtureError(sparseTransformer, c)).toBeLessThan(1e-5);
      });
    }

    it('keeps shapes without a mask, where a mask of ones changes nothing', () => {
      for (const c of cases) expectShapesWithoutMask(sparseTransformer, c);
    });
  });
}

describe('sparse-transformer behaviour (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('leaves real outputs unchanged when only padded tokens change (padded keys are masked)', () => {
    for (const c of cases) expect(realChangeWhenPaddingChanges(sparseTransformer, c)).toBe(0);
  });

  it('is causal without CLS; with CLS the CLS output sees the future', () => {
    const outputsWhenLastChanges = (c: typeof withCls) => {
      const { store, mixer } = buildFromCase(sparseTransformer, c);
      const changed = Float32Array.from(c.x, (v, i) => (Math.floor(i / c.dModel) % c.length === c.length - 1 ? v + 3 : v));
      const [a, b] = tf.tidy(() => [
        mixer.apply(caseInput(c), null, inferenceContext()).dataSync(),
        mixer.apply(tf.tensor3d(changed, [c.batch, c.length, c.dModel]), null, inferenceContext()).dataSync(),
      ]);
      store.dispose();
      // Per position: the largest change over examples and channels.
      return Array.from({ length: c.length }, (_, t) => {
        let worst = 0;
        for (let b0 = 0; b0 < c.batch; b0++) for (let ch = 0; ch < c.dModel; ch++) {
          const i = (b0 * c.length + t) * c.dModel + ch;
          worst = Math.max(worst, Math.abs(a![i]! - b![i]!));
        }
        return worst;
      });
    };
    const plain = outputsWhenLastChanges(withoutCls);
    expect(plain.slice(0, -1).every((d) => d === 0)).toBe(true);
    expect(plain[plain.length - 1]).toBeGreaterThan(1e-3);
    const cls = outputsWhenLastChanges(withCls);
    expect(cls[0]).toBeGreaterThan(1e-3);
    expect(cls.slice(1, -1).every((d) => d === 0)).toBe(true);
  });

  it('with one block holding every position and no CLS, is causal softmax attention', () => {
    const c = withoutCls;
    const { store, mixer } = buildFromCase(sparseTransformer, { ...c, options: { blockSize: c.length, c: 0 } });
    expect(exactLimitError(mixer, c, exactAttention(store, c, null, true), false)).toBeLessThan(2e-5);
    expect(exactLimitError(mixer, c, exactAttention(store, c, c.mask, true), true)).toBeLessThan(2e-5);
    store.dispose();
  });

  it('has gradients that match finite differences for the input and every parameter', () => {
    expectGradientsMatch(sparseTransformer, withCls);
  });

  it('drops attention weights in training only', () => {
    expectDropoutInTrainingOnly(sparseTransformer, withCls);
  });

  it('leaves no tensors behind', () => {
    expectNoLeaks(sparseTransformer, withCls, 6);
  });

  it('trains: a few dozen steps lower the loss on a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('sparse-transformer', { blockSize: 4, c: 1 }, { steps: 40 });
    expect(leaked).toBe(0);
    expect(lastLoss).toBeLessThan(firstLoss * 0.8);
  });

  it('validates its options', () => {
    const args = { dModel: 8, heads: 3, seqLen: 10, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
    expect(sparseTransformer.validate!(args, sparseTransformer.defaults)).toBe('qkvDim 8 is not divisible by 3 heads');
    const ok = { ...args, heads: 2 };
    expect(sparseTransformer.validate!(ok, { ...sparseTransformer.defaults, blockSize: 0 })).toBe('blockSize must be a positive integer, got 0');
    expect(sparseTransformer.validate!(ok, { ...sparseTransformer.defaults, c: 51 })).toBe('c must be an integer in [0, blockSize 50], got 51');
    expect(sparseTransformer.validate!(ok, sparseTransformer.defaults)).toBeNull();
  });
});
