import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { local, localRadius } from '../../src/mixers/local.js';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { referenceAttention } from './attention-reference.js';
import { paramGradcheck } from './support/param-gradcheck.js';
import { trainsOnSyntheticTask } from './support/trains.js';
import { tensorsLeaked } from './support/leaks.js';

const B = 2;
const N = 9;
const D = 8;
const H = 2;

function build(window: number, attentionDropout = 0, dModel = D, heads = H) {
  const store = new ParamStore(51);
  const mixer = local.create(
    { dModel, heads, seqLen: N, dropout: 0, attentionDropout, params: store.scope('mixer'), layer: 0 },
    { window },
  );
  return { store, mixer };
}

const read = (store: ParamStore, name: string): Float64Array => Float64Array.from(store.get(name).dataSync());

/**
 * Exact softmax attention in float64 restricted to |i - j| < window / 2 and real keys (left out
 * of the softmax, not down-weighted).
 */
function bandAttention(store: ParamStore, x: Float64Array, mask: Float64Array | null, window: number, length: number): Float64Array {
  const [wq, wk, wv, wo] = ['query', 'key', 'value', 'output'].map((n) => read(store, `mixer/${n}/kernel`)) as Float64Array[];
  const dh = D / H;
  const proj = (w: Float64Array) => {
    const out = new Float64Array(B * length * D);
    for (let r = 0; r < B * length; r++)
      for (let c = 0; c < D; c++) {
        let s = 0;
        for (let k = 0; k < D; k++) s += x[r * D + k]! * w[k * D + c]!;
        out[r * D + c] = s;
      }
    return out;
  };
  const [q, k, v] = [proj(wq!), proj(wk!), proj(wv!)];
  const merged = new Float64Array(B * length * D);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < length; i++) {
        const keys: number[] = [];
        const scores: number[] = [];
        for (let j = 0; j < length; j++) {
          if (!(Math.abs(i - j) < window / 2) || (mask && mask[b * length + j] === 0)) continue;
          let s = 0;
          for (let c = 0; c < dh; c++) s += q[(b * length + i) * D + h * dh + c]! * k[(b * length + j) * D + h * dh + c]!;
          keys.push(j);
          scores.push(s / Math.sqrt(dh));
        }
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const total = e.reduce((a, c) => a + c, 0);
        for (let c = 0; c < dh; c++) {
          let s = 0;
          keys.forEach((j, n) => (s += (e[n]! / total) * v[(b * length + j) * D + h * dh + c]!));
          merged[(b * length + i) * D + h * dh + c] = s;
        }
      }
  const out = new Float64Array(B * length * D);
  for (let r = 0; r < B * length; r++)
    for (let c = 0; c < D; c++) {
      let s = 0;
      for (let kk = 0; kk < D; kk++) s += merged[r * D + kk]! * wo![kk * D + c]!;
      out[r * D + c] = s;
    }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, keep?: (i: number) => boolean): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) if (!keep || keep(i)) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

const MASK = Float64Array.from([1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
const realPosition = (i: number): boolean => MASK[Math.floor(i / D)] === 1;
const xValues = seededUniform('local-x', B * N * D, -1.5, 1.5);
const xTensor = (): tf.Tensor3D => tf.tensor3d(Float32Array.from(xValues), [B, N, D]);
const maskTensor = (): tf.Tensor2D => tf.tensor2d(Float32Array.from(MASK), [B, N]);

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`local attention on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    it('keeps exactly |i - j| < w/2', () => {
      expect([1, 2, 3, 4, 5, 6, 32].map(localRadius)).toEqual([0, 0, 1, 1, 2, 2, 15]);
    });

    // Windows whose radius is below, equal to and above the block size, and one beyond N.
    for (const window of [1, 2, 4, 5, 7, 8, 32]) {
      it(`matches exact attention with a band mask, window ${window}`, () => {
        const { store, mixer } = build(window);
        const y = mixer.apply(xTensor(), maskTensor(), inferenceContext()).dataSync();
        expect(maxAbsDiff(y, bandAttention(store, xValues, MASK, window, N), realPosition)).toBeLessThan(2e-5);
        const unmasked = mixer.apply(xTensor(), null, inferenceContext()).dataSync();
        expect(maxAbsDiff(unmasked, bandAttention(store, xValues, null, window, N))).toBeLessThan(2e-5);
        store.dispose();
      });
    }

    it('equals full softmax attention when the window covers the sequence', () => {
      const { store, mixer } = build(2 * N + 2);
      const y = mixer.apply(xTensor(), maskTensor(), inferenceContext()).dataSync();
      const [wq, wk, wv, wo] = ['query', 'key', 'value', 'output'].map((n) => read(store, `mixer/${n}/kernel`)) as Float64Array[];
      const want = referenceAttention({ x: xValues, mask: MASK, wq: wq!, wk: wk!, wv: wv!, wo: wo!, batch: B, length: N, dModel: D, heads: H, width: D, rope: false });
      expect(maxAbsDiff(y, want, realPosition)).toBeLessThan(2e-5);
      store.dispose();
    });

    it('gives padded keys no weight', () => {
      const { store, mixer } = build(6);
      const changed = Float32Array.from(xValues);
      for (let t = 7; t < N; t++) for (let c = 0; c < D; c++) changed[t * D + c] = 60 * (c + 1);
      const a = mixer.apply(xTensor(), maskTensor(), inferenceContext()).dataSync();
      const b = mixer.apply(tf.tensor3d(changed, [B, N, D]), maskTensor(), inferenceContext()).dataSync();
      expect(maxAbsDiff(a, b, realPosition)).toBe(0);
      store.dispose();
    });

    it('takes any length, odd and LRA lengths included', () => {
      const { store, mixer } = build(32, 0, 4, 2);
      for (const length of [1, 2, 17, 65, 1025, 4001]) {
        const y = tf.tidy(() => mixer.apply(tf.randomNormal([1, length, 4], 0, 1, 'float32', 9), null, inferenceContext()));
        expect(y.shape).toEqual([1, length, 4]);
        expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
        y.dispose();
      }
      store.dispose();
    });

    it('drops attention weights in training only, reproducibly per step', () => {
      const { store, mixer } = build(6, 0.5);
      const eval0 = mixer.apply(xTensor(), null, inferenceContext()).dataSync();
      expect(maxAbsDiff(eval0, bandAttention(store, xValues, null, 6, N))).toBeLessThan(2e-5);
      const s1 = mixer.apply(xTensor(), null, trainingContext(3, 1)).dataSync();
      const again = mixer.apply(xTensor(), null, trainingContext(3, 1)).dataSync();
      expect(Array.from(again)).toEqual(Array.from(s1));
      expect(maxAbsDiff(s1, eval0)).toBeGreaterThan(1e-3);
      store.dispose();
    });

    it('validates its options', () => {
      const args = { dModel: D, heads: 3, seqLen: N, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
      expect(local.validate!(args, { window: 32 })).toBe('dModel 8 is not divisible by 3 heads');
      expect(local.validate!({ ...args, heads: 2 }, { window: 0 })).toBe('window must be a positive integer, got 0');
      expect(local.validate!({ ...args, heads: 2 }, local.defaults)).toBeNull();
    });
  });
}

describe('local attention gradients and training (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('has gradients that match finite differences for the input and every parameter', () => {
    const { store, mixer } = build(5);
    const weights = tf.tensor3d(Float32Array.from(seededUniform('local-w', B * N * D), (w, i) => (realPosition(i) ? w : 0)), [B, N, D]);
    const loss = (x: tf.Tensor) => tf.sum(tf.mul(mixer.apply(x as tf.Tensor3D, maskTensor(), inferenceContext()), weights)) as tf.Scalar;
    assertGradcheck(loss, [xTensor()], { reference: (x) => {
      const y = bandAttention(store, x, MASK, 5, N);
      let s = 0;
      const w = weights.dataSync();
      for (let i = 0; i < y.length; i++) s += y[i]! * w[i]!;
      return s;
    }, atol: 1e-4, rtol: 2e-3 });
    expect(paramGradcheck(store, () => loss(xTensor()))).toEqual([]);
    store.dispose();
  });

  it('leaves no tensors behind', () => {
    const { store, mixer } = build(5, 0.1);
    const x = xTensor();
    const mask = maskTensor();
    expect(tensorsLeaked(mixer, x, mask, { context: (i) => trainingContext(1, i) })).toBe(0);
    store.dispose();
  });

  it('trains: a few dozen steps lower the loss on a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('local', { window: 8 }, { steps: 40 });
    expect(leaked).toBe(0);
    expect(lastLoss).toBeLessThan(firstLoss * 0.8);
  });
});
