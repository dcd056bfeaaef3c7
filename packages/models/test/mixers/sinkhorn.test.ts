import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { sinkhorn } from '../../src/mixers/sinkhorn.js';
import { buildFromCase, caseMask, fixtureError, lraFixtureCases } from './support/lra-code-fixture.js';
import {
  expectDropoutInTrainingOnly,
  expectGradientsMatch,
  expectNoLeaks,
  expectShapesWithoutMask,
  realChangeWhenPaddingChanges,
} from './support/lra-mixer-checks.js';
import { trainsOnSyntheticTask } from './support/trains.js';

const cases = lraFixtureCases('sinkhorn');
const first = cases[0]!;

function outputOf(c: typeof first, x: Float32Array, mask: boolean, change?: (store: ParamStore) => void): Float32Array {
  const { store, mixer } = buildFromCase(sinkhorn, c);
  change?.(store);
  const y = tf.tidy(() => mixer.apply(tf.tensor3d(x, [c.batch, c.length, c.dModel]), mask ? caseMask(c) : null, inferenceContext()).dataSync());
  store.dispose();
  return y as Float32Array;
}

const maxDiff = (a: Float32Array, b: Float32Array): number => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));

describe('sinkhorn defaults', () => {
  it("are LRA's: block size 50, a sort net of 25 outputs, softmax sorting", () => {
    expect(sinkhorn.defaults).toEqual({ blockSize: 50, maxNumBlocks: 25, qkvDim: null, impl: 'lra' });
  });
});

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`sinkhorn on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    for (const c of cases) {
      it(`equals the numpy port of LRA's code: ${c.name}`, () => {
        expect(fixtureError(sinkhorn, c)).toBeLessThan(1e-5);
      });
    }

    it('keeps shapes without a mask, where a mask of ones changes nothing', () => {
      for (const c of cases) expectShapesWithoutMask(sinkhorn, c);
    });
  });
}

describe('sinkhorn behaviour (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('lets padded tokens change real outputs, as LRA code does', () => {
    // LRA's code sums every chunk's keys and values (padded ones too) into the sorted slots, and
    // masks strided groups with the padding of contiguous chunks: padding is not isolated.
    for (const c of cases) expect(realChangeWhenPaddingChanges(sinkhorn, c)).toBeGreaterThan(1e-3);
  });

  it("changes nothing but rounding when the sort net's weights change (its rows sum to 1)", () => {
    const x = Float32Array.from(first.x);
    const plain = outputOf(first, x, true);
    const resorted = outputOf(first, x, true, (store) => {
      const kernel = store.get('mixer/sort/kernel');
      tf.tidy(() => kernel.assign(tf.mul(kernel, -3)));
    });
    expect(maxDiff(plain, resorted)).toBeLessThan(1e-6);
  });

  it('attends within strided groups, plus the sums of contiguous chunks', () => {
    // blockSize 3, N 12: 4 groups {g, g + 4, g + 8}, and slot s of the sorted keys sums the
    // contiguous chunk 4s .. 4s + 3.
    const c = first;
    const x = Float32Array.from(c.x);
    const swapped = Float32Array.from(x);
    // Swap positions 8 and 9 (same chunk 2, groups 0 and 1): chunk sums are unchanged, so only
    // groups 0 and 1 (positions 0, 4, 8 and 1, 5, 9) change.
    for (let b = 0; b < c.batch; b++) {
      for (let ch = 0; ch < c.dModel; ch++) {
        const i8 = (b * c.length + 8) * c.dModel + ch;
        const i9 = (b * c.length + 9) * c.dModel + ch;
        swapped[i8] = x[i9]!;
        swapped[i9] = x[i8]!;
      }
    }
    const a = outputOf(c, x, false);
    const b = outputOf(c, swapped, false);
    const changedAt = (t: number): number => {
      let worst = 0;
      for (let e = 0; e < c.batch; e++) for (let ch = 0; ch < c.dModel; ch++) {
        const i = (e * c.length + t) * c.dModel + ch;
        worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      }
      return worst;
    };
    for (const t of [0, 1, 4, 5, 8, 9]) expect(changedAt(t), `position ${t}`).toBeGreaterThan(1e-4);
    for (const t of [2, 3, 6, 7, 10, 11]) expect(changedAt(t), `position ${t}`).toBeLessThan(1e-6);
  });

  it('has gradients that match finite differences for the input and every parameter', () => {
    // Without the padding mask: with it, LRA's chunk-wise mask leaves some real queries with no
    // allowed key at all, whose scores float32 rounds to exactly -1e10, so finite differences of
    // the float32 program see no slope where the chain rule (rightly, for the exact formula) does.
    expectGradientsMatch(sinkhorn, first, false);
  });

  it('drops attention weights in training only', () => {
    expectDropoutInTrainingOnly(sinkhorn, first);
  });

  it('leaves no tensors behind', () => {
    expectNoLeaks(sinkhorn, first, 6);
  });

  it('trains: a few dozen steps lower the loss on a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('sinkhorn', { blockSize: 4 }, { steps: 40 });
    expect(leaked).toBe(0);
    expect(lastLoss).toBeLessThan(firstLoss * 0.8);
  });

  it('validates its options, and takes any length (extended to whole blocks)', () => {
    const args = { dModel: 8, heads: 2, seqLen: 2001, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
    expect(sinkhorn.validate!(args, sinkhorn.defaults)).toBeNull();
    expect(sinkhorn.validate!({ ...args, heads: 3 }, sinkhorn.defaults)).toBe('qkvDim 8 is not divisible by 3 heads');
    expect(sinkhorn.validate!(args, { ...sinkhorn.defaults, blockSize: 0 })).toBe('blockSize must be a positive integer, got 0');
    expect(sinkhorn.validate!(args, { ...sinkhorn.defaults, maxNumBlocks: 0 })).toBe('maxNumBlocks must be a positive integer, got 0');
    // Without a mask, a length off the blocks is the same as a mask of ones there.
    const c = cases.find((k) => k.length % Number(k.options.blockSize) !== 0)!;
    const x = Float32Array.from(c.x);
    const { store, mixer } = buildFromCase(sinkhorn, c);
    const [plain, ones] = tf.tidy(() => {
      const input = tf.tensor3d(x, [c.batch, c.length, c.dModel]);
      return [mixer.apply(input, null, inferenceContext()).dataSync(), mixer.apply(input, tf.ones([c.batch, c.length]) as tf.Tensor2D, inferenceContext()).dataSync()];
    });
    expect(plain!.length).toBe(c.batch * c.length * c.dModel);
    expect(Array.from(plain!)).toEqual(Array.from(ones!));
    store.dispose();
  });
});
