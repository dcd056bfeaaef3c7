import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { longformer } from '../../src/mixers/longformer.js';
import { slidingWindow, windowReach } from '../../src/mixers/longformer-pattern.js';
import { buildFromCase, caseInput, caseMask, fixtureError, lraFixtureCases } from './support/lra-code-fixture.js';
import {
  expectDropoutInTrainingOnly,
  expectGradientsMatch,
  expectNoLeaks,
  expectShapesWithoutMask,
  realChangeWhenPaddingChanges,
} from './support/lra-mixer-checks.js';
import { exactAttention, exactLimitError } from './support/lra-exact-limit.js';
import { trainsOnSyntheticTask } from './support/trains.js';

const cases = lraFixtureCases('longformer');
const noGlobal = cases.find((c) => c.options.globalTokens === 0 && c.options.window === 4)!;
const oneGlobal = cases.find((c) => c.options.globalTokens === 1)!;

describe('longformer window', () => {
  it("is LRA's: 512 keys, 255 before the query and 256 after it", () => {
    expect(longformer.defaults).toEqual({ window: 512, globalTokens: 0, qkvDim: null, impl: 'lra' });
    expect(windowReach(512)).toEqual({ before: 255, after: 256 });
    expect(windowReach(5)).toEqual({ before: 2, after: 2 });
    const n = 6;
    const band = slidingWindow(n, 4);
    // Window 4: one key before, two after.
    expect(Array.from(band.subarray(2 * n, 3 * n))).toEqual([0, 1, 1, 1, 1, 0]);
    expect(Array.from(band.subarray(0, n))).toEqual([1, 1, 1, 0, 0, 0]);
  });
});

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`longformer on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    for (const c of cases) {
      it(`equals the numpy port of LRA's code: ${c.name}`, () => {
        expect(fixtureError(longformer, c)).toBeLessThan(1e-5);
      });
    }

    it('keeps shapes without a mask, where a mask of ones changes nothing', () => {
      for (const c of cases) expectShapesWithoutMask(longformer, c);
    });
  });
}

describe('longformer behaviour (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('leaves real outputs unchanged when only padded tokens change (padded keys are masked)', () => {
    for (const c of cases) expect(realChangeWhenPaddingChanges(longformer, c)).toBe(0);
  });

  it('without global positions the global projections change nothing; with them they do', () => {
    const changeOfGlobalProjections = (c: typeof noGlobal): number => {
      const { store, mixer } = buildFromCase(longformer, c);
      const run = () => tf.tidy(() => mixer.apply(caseInput(c), caseMask(c), inferenceContext()).dataSync());
      const before = run();
      for (const name of ['queryGlobal', 'keyGlobal', 'valueGlobal']) {
        const kernel = store.get(`mixer/${name}/kernel`);
        tf.tidy(() => kernel.assign(tf.mul(kernel, -2)));
      }
      const after = run();
      store.dispose();
      return Math.max(...Array.from(before, (v, i) => Math.abs(v - after[i]!)));
    };
    expect(changeOfGlobalProjections(noGlobal)).toBe(0);
    expect(changeOfGlobalProjections(oneGlobal)).toBeGreaterThan(1e-3);
  });

  it('a key outside the window reaches a query only when the key is a global position', () => {
    const twoGlobal = cases.find((c) => c.options.globalTokens === 2)!;
    /** Largest change of the output at `query` when the input at `changed` moves. */
    const influence = (c: typeof noGlobal, changed: number, query: number): number => {
      const { store, mixer } = buildFromCase(longformer, c);
      const moved = Float32Array.from(c.x, (v, i) => (Math.floor(i / c.dModel) === changed ? v + 3 : v));
      const [a, b] = tf.tidy(() => [
        mixer.apply(caseInput(c), null, inferenceContext()).dataSync(),
        mixer.apply(tf.tensor3d(moved, [c.batch, c.length, c.dModel]), null, inferenceContext()).dataSync(),
      ]);
      store.dispose();
      let worst = 0;
      for (let ch = 0; ch < c.dModel; ch++) worst = Math.max(worst, Math.abs(a![query * c.dModel + ch]! - b![query * c.dModel + ch]!));
      return worst;
    };
    // Window 4: position 6 sees 5..8, not 2.
    expect(influence(noGlobal, 2, 6)).toBe(0);
    expect(influence(noGlobal, 5, 6)).toBeGreaterThan(1e-3);
    // Window 2 with positions 0 and 1 global: position 6 sees 6, 7 and the global 0 and 1 only,
    // and a global query sees every key.
    expect(influence(twoGlobal, 1, 6)).toBeGreaterThan(1e-3);
    expect(influence(twoGlobal, 3, 6)).toBe(0);
    expect(influence(twoGlobal, 5, 1)).toBeGreaterThan(1e-3);
  });

  it('with a window covering the sequence, is softmax attention', () => {
    const c = noGlobal;
    const { store, mixer } = buildFromCase(longformer, { ...c, options: { window: 2 * c.length, globalTokens: 0 } });
    expect(exactLimitError(mixer, c, exactAttention(store, c, null), false)).toBeLessThan(2e-5);
    expect(exactLimitError(mixer, c, exactAttention(store, c, c.mask), true)).toBeLessThan(2e-5);
    store.dispose();
  });

  it('has gradients that match finite differences for the input and every parameter', () => {
    expectGradientsMatch(longformer, oneGlobal);
  });

  it('drops attention weights in training only', () => {
    expectDropoutInTrainingOnly(longformer, oneGlobal);
  });

  it('leaves no tensors behind', () => {
    expectNoLeaks(longformer, oneGlobal, 5);
    expectNoLeaks(longformer, noGlobal, 5);
  });

  it('trains: a few dozen steps lower the loss on a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('longformer', { window: 4, globalTokens: 1 }, { steps: 40 });
    expect(leaked).toBe(0);
    expect(lastLoss).toBeLessThan(firstLoss * 0.8);
  });

  it('validates its options', () => {
    const args = { dModel: 8, heads: 3, seqLen: 10, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
    expect(longformer.validate!(args, longformer.defaults)).toBe('qkvDim 8 is not divisible by 3 heads');
    const ok = { ...args, heads: 2 };
    expect(longformer.validate!(ok, { ...longformer.defaults, window: 0 })).toBe('window must be a positive integer, got 0');
    expect(longformer.validate!(ok, { ...longformer.defaults, globalTokens: -1 })).toBe('globalTokens must be a non-negative integer, got -1');
    expect(longformer.validate!(ok, longformer.defaults)).toBeNull();
  });
});
