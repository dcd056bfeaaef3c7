import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { performer, type PerformerOptions } from '../../src/mixers/performer.js';
import { orthogonalGaussianFeatures } from '../../src/mixers/performer-features.js';
import {
  createPerformerLra,
  lraKernelAttention,
  type LraFeatureDraw,
} from '../../src/mixers/performer-lra.js';
import { resolveMixerOptions } from '../../src/mixers/registry.js';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { tensorsLeaked } from './support/leaks.js';
import { caseInput, caseMask, loadCaseWeights, lraCases, type LraCase } from './support/lra-cases.js';
import { maxAbsError } from './support/lra-fixture.js';
import { paramGradcheck } from './support/param-gradcheck.js';
import { trainsOnSyntheticTask } from './support/trains.js';

const argsFor = (dModel: number, heads: number, seqLen: number, store: ParamStore) => ({
  dModel,
  heads,
  seqLen,
  dropout: 0,
  attentionDropout: 0.5,
  params: store.scope('mixer'),
  layer: 0,
});

/** The case's mixer through the spec, or with fixed features (softmax cases) through drawFeatures. */
function loaded(c: LraCase, draw?: LraFeatureDraw) {
  const store = new ParamStore(97);
  const options: PerformerOptions = {
    ...performer.defaults,
    impl: 'lra',
    lraKernel: c['lraKernel'] as PerformerOptions['lraKernel'],
    features: (c['features'] as number | undefined) ?? performer.defaults.features,
  };
  const args = argsFor(c.dModel, c.heads, c.length, store);
  const fixed: LraFeatureDraw = () => Float32Array.from(c['projection'] as number[]);
  const mixer = options.lraKernel === 'relu' ? performer.create(args, options) : createPerformerLra(args, options, draw ?? fixed);
  loadCaseWeights(store, c);
  return { store, mixer };
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`performer impl 'lra' on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    it("equals the numpy port of LRA's Performer: relu kernel, and FAVOR+ with given features", () => {
      const cases = lraCases('performer');
      expect(cases.map((c) => c['lraKernel'])).toEqual(['relu', 'softmax', 'softmax']);
      for (const c of cases) {
        const { store, mixer } = loaded(c);
        const y = tf.tidy(() => mixer.apply(caseInput(c), caseMask(c), inferenceContext()));
        expect(y.shape).toEqual([c.batch, c.length, c.dModel]);
        expect(maxAbsError(y.dataSync(), c.expected)).toBeLessThan(1e-5);
        // LRA's fast attention never sees the mask.
        const unmasked = tf.tidy(() => mixer.apply(caseInput(c), null, inferenceContext()).dataSync());
        expect(maxAbsError(unmasked, y.dataSync())).toBe(0);
        y.dispose();
        store.dispose();
      }
    });
  });
}

describe("performer impl 'lra' (wasm)", () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it("guards the normaliser as LRA: R + 2e-6 where |R| <= 1e-6, R itself elsewhere", () => {
    // One head, one position, one feature: the output is phiQ phiK v / R with R = phiQ phiK.
    const run = (phiQ: number, stabiliser: number) =>
      tf.tidy(() =>
        lraKernelAttention(tf.tensor3d([[[phiQ]]]), tf.tensor3d([[[1]]]), tf.tensor3d([[[3]]]), stabiliser).dataSync()[0]!,
      );
    expect(run(1e-7, 1e-6)).toBeCloseTo((1e-7 * 3) / (1e-7 + 2e-6), 6);
    expect(run(2, 1e-6)).toBeCloseTo(3, 6);
    expect(run(1e-7, 0)).toBeCloseTo(3, 5);
  });

  it('draws features per call from the query sum: the same input the same features, another input new ones', () => {
    const c = lraCases('performer')[1]!;
    const seeds: number[] = [];
    const drawn: Float32Array[] = [];
    const draw: LraFeatureDraw = (seed) => {
      seeds.push(seed);
      const values = orthogonalGaussianFeatures(c['features'] as number, c.dModel / c.heads, seedrandom(String(seed)));
      drawn.push(values);
      return values;
    };
    const { store, mixer } = loaded(c, draw);
    const x = caseInput(c);
    // LRA's seed is ceil(1e7 sum(q)): compare with the queries' sum in float64.
    const wq = store.get('mixer/query/kernel').dataSync();
    let querySum = 0;
    for (let r = 0; r < c.batch * c.length; r++) {
      for (let i = 0; i < c.dModel; i++) for (let o = 0; o < c.dModel; o++) querySum += c.x[r * c.dModel + i]! * wq[i * c.dModel + o]!;
    }
    const a = mixer.apply(x, null, inferenceContext()).dataSync();
    const b = mixer.apply(x, null, trainingContext(1, 5)).dataSync();
    expect(maxAbsError(a, b)).toBe(0);
    const shifted = tf.add(x, 0.25) as tf.Tensor3D;
    mixer.apply(shifted, null, inferenceContext()).dispose();
    expect(Number.isInteger(seeds[0])).toBe(true);
    expect(Math.abs(seeds[0]! / 1e7 - querySum)).toBeLessThan(1e-4);
    expect(seeds[1]).toBe(seeds[0]);
    expect(seeds[2]).not.toBe(seeds[0]);
    tf.dispose([x, shifted]);
    store.dispose();
  });

  it('draws orthogonal Gaussian features by default, deterministic for a given input', () => {
    const c = lraCases('performer')[2]!;
    const store = new ParamStore(5);
    const options: PerformerOptions = { ...performer.defaults, impl: 'lra', lraKernel: 'softmax', features: 2 };
    const mixer = performer.create(argsFor(c.dModel, c.heads, c.length, store), options);
    const x = caseInput(c);
    const a = mixer.apply(x, null, inferenceContext()).dataSync();
    const b = mixer.apply(x, null, inferenceContext()).dataSync();
    expect(Array.from(a).every(Number.isFinite)).toBe(true);
    expect(maxAbsError(a, b)).toBe(0);
    x.dispose();
    store.dispose();
  });

  it('resolves lraKernel relu by default and refuses unknown kernels', () => {
    expect(resolveMixerOptions('performer', { impl: 'lra' })).toEqual({
      qkvDim: null,
      features: 256,
      redrawEvery: 1000,
      impl: 'lra',
      lraKernel: 'relu',
    });
    expect(() => resolveMixerOptions('performer', { impl: 'lra', lraKernel: 'sincos' })).toThrow(
      'option "lraKernel" of mixer performer must be one of "relu", "softmax"',
    );
  });

  for (const kernel of ['relu', 'softmax'] as const) {
    it(`has gradients that match finite differences for the input and every parameter (${kernel})`, () => {
      const [B, N, D] = [2, 5, 4];
      const store = new ParamStore(101);
      const options: PerformerOptions = { ...performer.defaults, impl: 'lra', lraKernel: kernel, features: 3 };
      const features = Float32Array.from(seededUniform('performer-lra-features', 3 * 2, -1.5, 1.5));
      const mixer = createPerformerLra(argsFor(D, 2, N, store), options, () => features);
      const mask = tf.tensor2d([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]);
      const weights = tf.tensor3d(Float32Array.from(seededUniform('performer-lra-w', B * N * D)), [B, N, D]);
      const loss = (x: tf.Tensor) => tf.sum(tf.mul(mixer.apply(x as tf.Tensor3D, mask, inferenceContext()), weights)) as tf.Scalar;
      const x = tf.tensor3d(Float32Array.from(seededUniform('performer-lra-x', B * N * D, -1.5, 1.5)), [B, N, D]);
      assertGradcheck(loss, [x], { atol: 2e-3, rtol: 2e-2 });
      expect(paramGradcheck(store, () => loss(x))).toEqual([]);
      store.dispose();
    });

    it(`leaves no tensors behind (${kernel})`, () => {
      const c = lraCases('performer')[kernel === 'relu' ? 0 : 1]!;
      const { store, mixer } = loaded(c);
      const x = caseInput(c);
      const mask = caseMask(c);
      expect(tensorsLeaked(mixer, x, mask, { context: (i) => trainingContext(1, i), shortInput: 4 })).toBe(0);
      tf.dispose([x, mask]);
      store.dispose();
    });
  }

  it('trains: a few dozen steps lower the loss on a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('performer', { impl: 'lra' }, { steps: 40 });
    expect(leaked).toBe(0);
    expect(lastLoss).toBeLessThan(firstLoss * 0.8);
  });
});
