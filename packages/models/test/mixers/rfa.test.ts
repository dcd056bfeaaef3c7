import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { rfa, rfaAttentionHeads } from '../../src/mixers/rfa.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { seededUniform } from '../support/random.js';
import {
  buildMixer,
  headTensor,
  inputValues,
  kernelAverage64,
  leakedTensors,
  maxAbsDiff,
  mixerGradients,
  outputAt,
  paddingChangesNothing,
  tailMask,
  type Heads64,
} from './attention-family.js';
import { trainsOnSyntheticTask } from './support/trains.js';

const heads = 2;
const dims: Heads64 = { bh: 4, n: 6, d: 4 }; // batch 2 x 2 heads
const q = seededUniform('rfa-q', dims.bh * dims.n * dims.d, -1, 1);
const k = seededUniform('rfa-k', dims.bh * dims.n * dims.d, -1, 1);
const v = seededUniform('rfa-v', dims.bh * dims.n * dims.d);
const real = (h: number, j: number) => h >= 2 || j < 4;

function unit(x: Float64Array, h: number, i: number): number[] {
  const row = Array.from(x.subarray((h * dims.n + i) * dims.d, (h * dims.n + i + 1) * dims.d));
  const norm = Math.sqrt(row.reduce((s, a) => s + a * a, 0) + 1e-6);
  return row.map((a) => a / norm);
}

function keyMask(): tf.Tensor3D {
  const values = Array.from({ length: dims.bh * dims.n }, (_, t) => (real(Math.floor(t / dims.n), t % dims.n) ? 1 : 0));
  return tf.tensor3d(values, [dims.bh, dims.n, 1]);
}

/** w [H, D, d] with sigma 0.8, from a seeded normal draw. */
function features(count: number): { w: Float32Array; tensor: () => tf.Tensor3D } {
  const w = tf.tidy(() => tf.mul(tf.randomNormal([heads, count, dims.d], 0, 1, 'float32', 7), 0.8).dataSync() as Float32Array);
  return { w, tensor: () => tf.tensor3d(w, [heads, count, dims.d]) };
}

const sizes = { batch: 2, length: 6, dModel: 8, heads: 2 };

describe('random feature attention', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('equals its quadratic form phi(q)^T phi(k) = mean_f cos(w_f . (q - k)) on unit vectors', () => {
    const count = 64;
    const { w, tensor } = features(count);
    const expected = kernelAverage64(
      dims,
      (h, i, j) => {
        if (!real(h, j)) return null;
        const head = h % heads;
        const diff = unit(q, h, i).map((a, c) => a - unit(k, h, j)[c]!);
        let s = 0;
        for (let f = 0; f < count; f++) {
          let angle = 0;
          for (let c = 0; c < dims.d; c++) angle += w[(head * count + f) * dims.d + c]! * diff[c]!;
          s += Math.cos(angle);
        }
        return s / count;
      },
      v,
      0,
    );
    const y = tf.tidy(() => rfaAttentionHeads(headTensor(q, dims), headTensor(k, dims), headTensor(v, dims), tensor(), keyMask()).dataSync());
    expect(maxAbsDiff(y, expected)).toBeLessThan(2e-5);
  });

  it('with many features approaches attention with the Gaussian kernel exp(-sigma^2 |q - k|^2 / 2)', () => {
    const { tensor } = features(20000);
    const expected = kernelAverage64(
      dims,
      (h, i, j) => {
        if (!real(h, j)) return null;
        const a = unit(q, h, i);
        const b = unit(k, h, j);
        const squared = a.reduce((s, x, c) => s + (x - b[c]!) ** 2, 0);
        return Math.exp((-0.64 * squared) / 2);
      },
      v,
      0,
    );
    const y = tf.tidy(() => rfaAttentionHeads(headTensor(q, dims), headTensor(k, dims), headTensor(v, dims), tensor(), keyMask()).dataSync());
    expect(maxAbsDiff(y, expected)).toBeLessThan(0.03);
  });

  it('has gradients matching finite differences for the input and every parameter, sigma included', () => {
    const built = buildMixer(rfa, { features: 16 }, sizes);
    const { scaled } = mixerGradients(built, inputValues('rfa-g', sizes), tailMask(sizes, [2, 0]), sizes);
    expect(Object.keys(scaled)).toContain('mixer/logSigma');
    expect(Object.keys(scaled)).toHaveLength(6);
    for (const [name, error] of Object.entries(scaled)) expect(error, name).toBeLessThanOrEqual(1);
    built.store.dispose();
  });

  it('keeps sigma fixed (no parameter) when asked', () => {
    const built = buildMixer(rfa, { learnSigma: false, sigma: 2 }, sizes);
    expect(built.store.variables().map((p) => p.name)).not.toContain('mixer/logSigma');
    expect(built.store.count()).toBe(4 * 64);
    built.store.dispose();
  });

  it('ignores the content of padded positions', () => {
    const built = buildMixer(rfa, {}, sizes);
    expect(paddingChangesNothing(built, sizes, tailMask(sizes, [3, 1]), inputValues('rp', sizes))).toBeLessThan(1e-6);
    built.store.dispose();
  });

  it('draws the same features for the same seed and new ones for another', () => {
    const built = buildMixer(rfa, {}, sizes);
    const x = () => tf.tensor3d(inputValues('rs', sizes), [2, 6, 8]);
    const at = (seed: number) => tf.tidy(() => built.mixer.apply(x(), null, inferenceContext(seed)).dataSync());
    expect(Array.from(at(4))).toEqual(Array.from(at(4)));
    expect(maxAbsDiff(at(4), at(5))).toBeGreaterThan(1e-4);
    built.store.dispose();
  });

  for (const length of [1, 7, 65, 1025]) {
    it(`maps [B, ${length}, D] to [B, ${length}, D] with finite values`, () => {
      const s = { ...sizes, length };
      const built = buildMixer(rfa, {}, s);
      expect(outputAt(built, s)).toEqual({ shape: [2, length, 8], finite: true });
      built.store.dispose();
    });
  }

  it('validates its options', () => {
    const args = { dModel: 8, heads: 2, seqLen: 6, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
    expect(rfa.validate!(args, { ...rfa.defaults, sigma: 0 })).toBe('sigma must be positive, got 0');
    expect(rfa.validate!(args, { ...rfa.defaults, features: 2.5 })).toBe('features must be a positive integer, got 2.5');
    expect(rfa.validate!(args, rfa.defaults)).toBeNull();
  });

  it('leaves no tensors behind', () => {
    const built = buildMixer(rfa, {}, sizes);
    expect(leakedTensors(built, sizes)).toBe(0);
    built.store.dispose();
  });

  it('trains: a few dozen steps lower the loss of a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('rfa', {}, { steps: 40 });
    expect(lastLoss).toBeLessThan(0.8 * firstLoss);
    expect(leaked).toBe(0);
  });
});
