import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { linformer, linformerRows, type LinformerOptions } from '../../src/mixers/linformer.js';
import { resolveMixerOptions } from '../../src/mixers/registry.js';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { tensorsLeaked } from './support/leaks.js';
import { caseInput, caseMask, loadCaseWeights, lraCases } from './support/lra-cases.js';
import { maxAbsError } from './support/lra-fixture.js';
import { paramGradcheck } from './support/param-gradcheck.js';
import { trainsOnSyntheticTask } from './support/trains.js';

function build(dModel: number, heads: number, seqLen: number, options: Partial<LinformerOptions> = {}, attentionDropout = 0) {
  const store = new ParamStore(83);
  const resolved: LinformerOptions = { ...linformer.defaults, impl: 'lra', ...options };
  const mixer = linformer.create({ dModel, heads, seqLen, dropout: 0, attentionDropout, params: store.scope('mixer'), layer: 0 }, resolved);
  return { store, mixer };
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`linformer impl 'lra' on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    it("equals the numpy port of LRA's Linformer, full-length and shorter inputs, the mask ignored", () => {
      for (const c of lraCases('linformer')) {
        const { store, mixer } = build(c.dModel, c.heads, c['seqLen'] as number, { k: c['k'] as number });
        loadCaseWeights(store, c);
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

describe("linformer impl 'lra' (wasm)", () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('defaults k to 16 rows (256 for clean), never capped at the length, unless k is set', () => {
    expect(resolveMixerOptions('linformer', { impl: 'lra' })).toEqual({ k: null, impl: 'lra' });
    expect(linformerRows(7, resolveMixerOptions('linformer', { impl: 'lra' }))).toBe(16);
    expect(linformerRows(4001, resolveMixerOptions('linformer', { impl: 'lra' }))).toBe(16);
    expect(linformerRows(7, resolveMixerOptions('linformer', { impl: 'lra', k: 32 }))).toBe(32);
    expect(linformerRows(4001, resolveMixerOptions('linformer'))).toBe(256);
    expect(linformerRows(65, resolveMixerOptions('linformer'))).toBe(65);
    expect(linformerRows(4001, resolveMixerOptions('linformer', { k: 64 }))).toBe(64);
  });

  it('initialises E [16, N] xavier-uniform, as LRA its lr_kernel [N, 16]', () => {
    const seqLen = 200;
    const { store } = build(8, 2, seqLen);
    const e = store.get('mixer/compress');
    expect(e.shape).toEqual([16, seqLen]);
    const values = Float64Array.from(e.dataSync());
    const limit = Math.sqrt(6 / (seqLen + 16));
    expect(Math.max(...Array.from(values, Math.abs))).toBeLessThanOrEqual(limit);
    const std = Math.sqrt(values.reduce((a, v) => a + v * v, 0) / values.length);
    expect(std).toBeGreaterThan(0.95 * (limit / Math.sqrt(3)));
    expect(std).toBeLessThan(1.05 * (limit / Math.sqrt(3)));
    store.dispose();
  });

  it('validates k and the impl', () => {
    const args = { dModel: 8, heads: 2, seqLen: 7, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
    expect(linformer.validate!(args, { k: 0, impl: 'lra' })).toBe('k must be a positive integer, got 0');
    expect(linformer.validate!(args, { k: null, impl: 'lra' })).toBeNull();
    expect(() => resolveMixerOptions('linformer', { impl: 'paper' })).toThrow('must be one of "clean", "lra"');
  });

  it('drops attention weights in training only', () => {
    const c = lraCases('linformer')[0]!;
    const { store, mixer } = build(c.dModel, c.heads, c['seqLen'] as number, { k: c['k'] as number }, 0.5);
    loadCaseWeights(store, c);
    const a = mixer.apply(caseInput(c), caseMask(c), inferenceContext()).dataSync();
    expect(maxAbsError(a, c.expected)).toBeLessThan(1e-5);
    const b = mixer.apply(caseInput(c), caseMask(c), trainingContext(2, 1)).dataSync();
    expect(maxAbsError(a, b)).toBeGreaterThan(1e-3);
    store.dispose();
  });

  it('has gradients that match finite differences for the input and every parameter', () => {
    const [B, N, D] = [2, 5, 4];
    const { store, mixer } = build(D, 2, N, { k: 3 });
    const mask = tf.tensor2d([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]);
    const weights = tf.tensor3d(Float32Array.from(seededUniform('linformer-lra-w', B * N * D)), [B, N, D]);
    const loss = (x: tf.Tensor) => tf.sum(tf.mul(mixer.apply(x as tf.Tensor3D, mask, inferenceContext()), weights)) as tf.Scalar;
    const x = tf.tensor3d(Float32Array.from(seededUniform('linformer-lra-x', B * N * D, -1.5, 1.5)), [B, N, D]);
    assertGradcheck(loss, [x], { atol: 2e-3, rtol: 2e-2 });
    expect(paramGradcheck(store, () => loss(x))).toEqual([]);
    store.dispose();
  });

  it('leaves no tensors behind', () => {
    const c = lraCases('linformer')[0]!;
    const { store, mixer } = build(c.dModel, c.heads, c['seqLen'] as number, { k: c['k'] as number }, 0.1);
    const x = caseInput(c);
    const mask = caseMask(c);
    expect(tensorsLeaked(mixer, x, mask, { context: (i) => trainingContext(1, i), shortInput: 4 })).toBe(0);
    tf.dispose([x, mask]);
    store.dispose();
  });

  it('trains: a few dozen steps lower the loss on a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('linformer', { impl: 'lra' }, { steps: 40 });
    expect(leaked).toBe(0);
    expect(lastLoss).toBeLessThan(firstLoss * 0.8);
  });
});
