import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { FAVOR_EPS, favorAttentionHeads, performer } from '../../src/mixers/performer.js';
import { orthogonalGaussianFeatures } from '../../src/mixers/performer-features.js';
import { inferenceContext, trainingContext, type ForwardContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { seededUniform } from '../support/random.js';
import {
  buildMixer,
  dot64,
  headTensor,
  inputValues,
  kernelAverage64,
  leakedTensors,
  maxAbsDiff,
  mixerGradients,
  outputAt,
  paddingChangesNothing,
  tailMask,
  type Built,
  type Heads64,
} from './attention-family.js';
import { referenceAttention } from './attention-reference.js';
import { trainsOnSyntheticTask } from './support/trains.js';

const sizes = { batch: 2, length: 6, dModel: 8, heads: 2 };

function run(built: Built, x: Float32Array, mask: Float32Array | null, ctx: ForwardContext): Float32Array {
  return tf.tidy(() =>
    built.mixer
      .apply(tf.tensor3d(x, [sizes.batch, sizes.length, sizes.dModel]), mask ? tf.tensor2d(mask, [sizes.batch, sizes.length]) : null, ctx)
      .dataSync() as Float32Array,
  );
}

describe('performer (FAVOR+)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('draws orthogonal blocks rescaled by Gaussian norms', () => {
    const d = 4;
    const w = orthogonalGaussianFeatures(10, d, seedrandom.alea('features'));
    const row = (r: number) => Array.from(w.subarray(r * d, (r + 1) * d));
    const norm = (r: number) => Math.hypot(...row(r));
    for (const [start, end] of [[0, 4], [4, 8], [8, 10]] as const) {
      for (let a = start; a < end; a++) {
        for (let b = a + 1; b < end; b++) expect(Math.abs(dot64(w, a * d, w, b * d, d)) / (norm(a) * norm(b))).toBeLessThan(1e-5);
      }
    }
    const norms = Array.from({ length: 10 }, (_, r) => norm(r));
    expect(Math.max(...norms) - Math.min(...norms)).toBeGreaterThan(0.1);
    expect(Array.from(orthogonalGaussianFeatures(10, d, seedrandom.alea('features')))).toEqual(Array.from(w));
  });

  it('equals its feature form phi(Q) (phi(K)^T V) / phi(Q) phi(K)^T 1 in float64, stabilisers included', () => {
    const dims: Heads64 = { bh: 2, n: 5, d: 4 };
    const m = 12;
    const q = seededUniform('pq', dims.bh * dims.n * dims.d, -1.5, 1.5);
    const k = seededUniform('pk', dims.bh * dims.n * dims.d, -1.5, 1.5);
    const v = seededUniform('pv', dims.bh * dims.n * dims.d);
    const w = orthogonalGaussianFeatures(m, dims.d, seedrandom.alea('w'));
    const real = (h: number, j: number) => h === 1 || j < 3;
    const scale = Math.pow(dims.d, -0.25);
    const projections = (x: Float64Array, h: number, i: number): number[] =>
      Array.from({ length: m }, (_, f) => scale * dot64(w, f * dims.d, x, (h * dims.n + i) * dims.d, dims.d));
    const halfNorm = (x: Float64Array, h: number, i: number) =>
      (scale * scale * dot64(x, (h * dims.n + i) * dims.d, x, (h * dims.n + i) * dims.d, dims.d)) / 2;
    const features = (x: Float64Array, h: number, i: number, stab: number) =>
      projections(x, h, i).map((p) => (Math.exp(p - halfNorm(x, h, i) - stab) + FAVOR_EPS) / Math.sqrt(m));
    const keyStab = (h: number) =>
      Math.max(...Array.from({ length: dims.n }, (_, j) => (real(h, j) ? Math.max(...projections(k, h, j)) : -Infinity)));
    const expected = kernelAverage64(
      dims,
      (h, i, j) => {
        if (!real(h, j)) return null;
        const fq = features(q, h, i, Math.max(...projections(q, h, i)));
        const fk = features(k, h, j, keyStab(h));
        return fq.reduce((s, a, f) => s + a * fk[f]!, 0);
      },
      v,
      0,
    );
    const mask = tf.tensor3d([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], [2, 5, 1]);
    const y = tf.tidy(() =>
      favorAttentionHeads(headTensor(q, dims), headTensor(k, dims), headTensor(v, dims), tf.tensor2d(w, [m, dims.d]), mask).dataSync(),
    );
    mask.dispose();
    expect(maxAbsDiff(y, expected)).toBeLessThan(1e-5);
  });

  it('with 10,000 features is within 0.33 relative error of exact softmax attention', () => {
    const built = buildMixer(performer, { features: 10000 }, sizes);
    const mask = tailMask(sizes, [2, 0]);
    const x = inputValues('performer-x', sizes);
    const y = run(built, x, mask, inferenceContext());
    const read = (name: string) => Float64Array.from(built.store.get(`mixer/${name}/kernel`).dataSync());
    const exact = referenceAttention({
      x: Float64Array.from(x),
      mask: Float64Array.from(mask),
      wq: read('query'),
      wk: read('key'),
      wv: read('value'),
      wo: read('output'),
      batch: sizes.batch,
      length: sizes.length,
      dModel: sizes.dModel,
      heads: sizes.heads,
      width: sizes.dModel,
      rope: false,
    });
    let error = 0;
    let norm = 0;
    for (let i = 0; i < y.length; i++) {
      error += (y[i]! - exact[i]!) ** 2;
      norm += exact[i]! ** 2;
    }
    const relative = Math.sqrt(error / norm);
    expect(relative).toBeLessThan(0.33);
    built.store.dispose();
  });

  it('redraws features every redrawEvery steps and evaluates with the last training draw', () => {
    const built = buildMixer(performer, { features: 8, redrawEvery: 10 }, sizes);
    const x = inputValues('redraw', sizes);
    const at = (step: number) => run(built, x, null, trainingContext(1, step));
    const step0 = at(0);
    expect(Array.from(at(9))).toEqual(Array.from(step0));
    const step10 = at(10);
    expect(maxAbsDiff(step10, step0)).toBeGreaterThan(1e-4);
    expect(Array.from(run(built, x, null, inferenceContext()))).toEqual(Array.from(step10));
    built.store.dispose();

    const fixed = buildMixer(performer, { features: 8, redrawEvery: null }, sizes);
    const first = run(fixed, x, null, trainingContext(1, 0));
    expect(Array.from(run(fixed, x, null, trainingContext(1, 12345)))).toEqual(Array.from(first));
    fixed.store.dispose();
  });

  it('has gradients matching finite differences for the input and every parameter', () => {
    const built = buildMixer(performer, { features: 16 }, sizes);
    const { scaled } = mixerGradients(built, inputValues('performer-g', sizes), tailMask(sizes, [2, 0]), sizes);
    expect(Object.keys(scaled)).toHaveLength(5);
    for (const [name, error] of Object.entries(scaled)) expect(error, name).toBeLessThanOrEqual(1);
    built.store.dispose();
  });

  it('has gradients matching finite differences with rotary positions', () => {
    const built = buildMixer(performer, { features: 16 }, sizes, { rope: true });
    const { scaled } = mixerGradients(built, inputValues('performer-r', sizes), null, sizes);
    for (const [name, error] of Object.entries(scaled)) expect(error, name).toBeLessThanOrEqual(1);
    built.store.dispose();
  });

  it('ignores the content of padded positions', () => {
    const built = buildMixer(performer, { features: 32 }, sizes);
    expect(paddingChangesNothing(built, sizes, tailMask(sizes, [3, 1]), inputValues('pp', sizes))).toBeLessThan(1e-6);
    built.store.dispose();
  });

  for (const length of [1, 7, 65, 1025]) {
    it(`maps [B, ${length}, D] to [B, ${length}, D] with finite values`, () => {
      const s = { ...sizes, length };
      const built = buildMixer(performer, {}, s);
      expect(outputAt(built, s)).toEqual({ shape: [2, length, 8], finite: true });
      built.store.dispose();
    });
  }

  it('validates its options', () => {
    const args = { dModel: 8, heads: 2, seqLen: 6, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
    expect(performer.validate!(args, { ...performer.defaults, features: 0 })).toBe('features must be a positive integer, got 0');
    expect(performer.validate!(args, { ...performer.defaults, redrawEvery: 0 })).toBe(
      'redrawEvery must be a positive integer or null, got 0',
    );
    expect(performer.validate!({ ...args, heads: 3 }, performer.defaults)).toBe('qkvDim 8 is not divisible by 3 heads');
    expect(performer.validate!(args, performer.defaults)).toBeNull();
  });

  it('leaves no tensors behind', () => {
    const built = buildMixer(performer, { features: 16 }, sizes);
    expect(leakedTensors(built, sizes)).toBe(0);
    built.store.dispose();
  });

  it('trains: a few dozen steps lower the loss of a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('performer', { features: 32 }, { steps: 40 });
    expect(lastLoss).toBeLessThan(0.8 * firstLoss);
    expect(leaked).toBe(0);
  });
});
