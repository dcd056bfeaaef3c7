import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { linear, type LinearOptions } from '../../src/mixers/linear.js';
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

function build(dModel: number, heads: number, seqLen: number, impl: LinearOptions['impl'] = 'lra') {
  const store = new ParamStore(89);
  const options: LinearOptions = { ...linear.defaults, impl };
  const mixer = linear.create({ dModel, heads, seqLen, dropout: 0, attentionDropout: 0.5, params: store.scope('mixer'), layer: 0 }, options);
  return { store, mixer };
}

function loaded(c: LraCase, impl: LinearOptions['impl'] = 'lra') {
  const built = build(c.dModel, c.heads, c.length, impl);
  loadCaseWeights(built.store, c);
  return built;
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`linear impl 'lra' on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    it("equals the numpy port of LRA's linear attention, padded keys included", () => {
      for (const c of lraCases('linear')) {
        const { store, mixer } = loaded(c);
        const y = tf.tidy(() => mixer.apply(caseInput(c), caseMask(c), inferenceContext()));
        expect(y.shape).toEqual([c.batch, c.length, c.dModel]);
        expect(maxAbsError(y.dataSync(), c.expected)).toBeLessThan(1e-5);
        const unmasked = tf.tidy(() => mixer.apply(caseInput(c), null, inferenceContext()).dataSync());
        expect(maxAbsError(unmasked, y.dataSync())).toBe(0);
        y.dispose();
        store.dispose();
      }
    });
  });
}

describe("linear impl 'lra' (wasm)", () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('differs from clean only in the mask: equal without padding, different with it', () => {
    const c = lraCases('linear')[0]!;
    const lra = loaded(c);
    const clean = loaded(c, 'clean');
    const run = (mixer: typeof lra.mixer, masked: boolean) =>
      tf.tidy(() => mixer.apply(caseInput(c), masked ? caseMask(c) : null, inferenceContext()).dataSync());
    expect(maxAbsError(run(lra.mixer, false), run(clean.mixer, false))).toBe(0);
    expect(maxAbsError(run(lra.mixer, true), run(clean.mixer, true))).toBeGreaterThan(1e-3);
    // attentionDropout is 0.5, yet training changes nothing: there are no weights to drop.
    const trained = tf.tidy(() => lra.mixer.apply(caseInput(c), caseMask(c), trainingContext(3, 1)).dataSync());
    expect(maxAbsError(trained, c.expected)).toBeLessThan(1e-5);
    lra.store.dispose();
    clean.store.dispose();
  });

  it('defaults to clean, and refuses the causal form under lra', () => {
    expect(resolveMixerOptions('linear')).toEqual({ qkvDim: null, causal: false, impl: 'clean' });
    const args = { dModel: 8, heads: 2, seqLen: 7, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
    expect(linear.validate!(args, { ...linear.defaults, impl: 'lra', causal: true })).toBe(
      "impl 'lra' has no causal form: LRA's linear attention ignores causal_mask",
    );
    expect(linear.validate!(args, { ...linear.defaults, impl: 'lra' })).toBeNull();
    expect(linear.validate!(args, { ...linear.defaults, causal: true })).toBeNull();
  });

  it('has gradients that match finite differences for the input and every parameter', () => {
    const [B, N, D] = [2, 5, 4];
    const { store, mixer } = build(D, 2, N);
    const mask = tf.tensor2d([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]);
    const weights = tf.tensor3d(Float32Array.from(seededUniform('linear-lra-w', B * N * D)), [B, N, D]);
    const loss = (x: tf.Tensor) => tf.sum(tf.mul(mixer.apply(x as tf.Tensor3D, mask, inferenceContext()), weights)) as tf.Scalar;
    const x = tf.tensor3d(Float32Array.from(seededUniform('linear-lra-x', B * N * D, -1.5, 1.5)), [B, N, D]);
    assertGradcheck(loss, [x], { atol: 2e-3, rtol: 2e-2 });
    expect(paramGradcheck(store, () => loss(x))).toEqual([]);
    store.dispose();
  });

  it('leaves no tensors behind', () => {
    const c = lraCases('linear')[0]!;
    const { store, mixer } = loaded(c);
    const x = caseInput(c);
    const mask = caseMask(c);
    expect(tensorsLeaked(mixer, x, mask, { context: (i) => trainingContext(1, i), shortInput: 4 })).toBe(0);
    tf.dispose([x, mask]);
    store.dispose();
  });

  it('trains: a few dozen steps lower the loss on a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('linear', { impl: 'lra' }, { steps: 40 });
    expect(leaked).toBe(0);
    expect(lastLoss).toBeLessThan(firstLoss * 0.8);
  });
});
