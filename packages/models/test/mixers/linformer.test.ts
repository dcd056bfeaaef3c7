import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { linformer, linformerRows } from '../../src/mixers/linformer.js';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { referenceAttention } from './attention-reference.js';
import { paramGradcheck } from './support/param-gradcheck.js';
import { trainsOnSyntheticTask } from './support/trains.js';
import { tensorsLeaked } from './support/leaks.js';

const B = 2;
const N = 7;
const D = 8;
const H = 2;

function build(k: number, seqLen = N, attentionDropout = 0, dModel = D, heads = H) {
  const store = new ParamStore(61);
  const mixer = linformer.create(
    { dModel, heads, seqLen, dropout: 0, attentionDropout, params: store.scope('mixer'), layer: 0 },
    { k },
  );
  return { store, mixer };
}

const read = (store: ParamStore, name: string): Float64Array => Float64Array.from(store.get(name).dataSync());
const kernels = (store: ParamStore) => ['query', 'key', 'value', 'output'].map((n) => read(store, `mixer/${n}/kernel`)) as Float64Array[];

/** Linformer in float64 from the paper's formula: softmax(Q (E K)^T / sqrt(d)) (E V), padded K, V rows zeroed. */
function referenceLinformer(store: ParamStore, x: Float64Array, mask: Float64Array | null, length: number): Float64Array {
  const [wq, wk, wv, wo] = kernels(store);
  const e = read(store, 'mixer/compress');
  const rows = e.length / N;
  const dh = D / H;
  const out = new Float64Array(B * length * D);
  for (let b = 0; b < B; b++) {
    const proj = (w: Float64Array, zeroPadded: boolean) => {
      const p = new Float64Array(length * D);
      for (let t = 0; t < length; t++)
        for (let c = 0; c < D; c++) {
          let s = 0;
          for (let kk = 0; kk < D; kk++) s += x[(b * length + t) * D + kk]! * w[kk * D + c]!;
          p[t * D + c] = zeroPadded && mask ? s * mask[b * length + t]! : s;
        }
      return p;
    };
    const q = proj(wq!, false);
    const [k, v] = [proj(wk!, true), proj(wv!, true)];
    const compress = (m: Float64Array) => {
      const c = new Float64Array(rows * D);
      for (let r = 0; r < rows; r++) for (let ch = 0; ch < D; ch++) for (let t = 0; t < length; t++) c[r * D + ch] += e[r * N + t]! * m[t * D + ch]!;
      return c;
    };
    const [kc, vc] = [compress(k), compress(v)];
    for (let i = 0; i < length; i++) {
      const merged = new Float64Array(D);
      for (let h = 0; h < H; h++) {
        const scores = Array.from({ length: rows }, (_, r) => {
          let s = 0;
          for (let c = 0; c < dh; c++) s += q[i * D + h * dh + c]! * kc[r * D + h * dh + c]!;
          return s / Math.sqrt(dh);
        });
        const max = Math.max(...scores);
        const ex = scores.map((s) => Math.exp(s - max));
        const total = ex.reduce((a, c) => a + c, 0);
        for (let c = 0; c < dh; c++) for (let r = 0; r < rows; r++) merged[h * dh + c] += (ex[r]! / total) * vc[r * D + h * dh + c]!;
      }
      for (let c = 0; c < D; c++) for (let kk = 0; kk < D; kk++) out[(b * length + i) * D + c] += merged[kk]! * wo![kk * D + c]!;
    }
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, keep?: (i: number) => boolean): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) if (!keep || keep(i)) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

const MASK = Float64Array.from([1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
const realPosition = (i: number): boolean => MASK[Math.floor(i / D)] === 1;
const xValues = seededUniform('linformer-x', B * N * D, -1.5, 1.5);
const xTensor = (): tf.Tensor3D => tf.tensor3d(Float32Array.from(xValues), [B, N, D]);
const maskTensor = (): tf.Tensor2D => tf.tensor2d(Float32Array.from(MASK), [B, N]);

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`linformer on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    it('with k = N and E = identity equals exact softmax attention', () => {
      const { store, mixer } = build(N);
      store.get('mixer/compress').assign(tf.eye(N));
      const y = mixer.apply(xTensor(), null, inferenceContext()).dataSync();
      const [wq, wk, wv, wo] = kernels(store);
      const want = referenceAttention({ x: xValues, mask: null, wq: wq!, wk: wk!, wv: wv!, wo: wo!, batch: B, length: N, dModel: D, heads: H, width: D, rope: false });
      expect(maxAbsDiff(y, want)).toBeLessThan(2e-5);
      store.dispose();
    });

    it('matches the float64 formula with its learned E, padded keys zeroed before the projection', () => {
      const { store, mixer } = build(3);
      // E well away from its small initial values, so that the check is sharp.
      store.get('mixer/compress').assign(tf.tensor2d(Float32Array.from(seededUniform('linformer-e', 3 * N)), [3, N]));
      const y = mixer.apply(xTensor(), maskTensor(), inferenceContext()).dataSync();
      expect(maxAbsDiff(y, referenceLinformer(store, xValues, MASK, N), realPosition)).toBeLessThan(2e-5);
      const unmasked = mixer.apply(xTensor(), null, inferenceContext()).dataSync();
      expect(maxAbsDiff(unmasked, referenceLinformer(store, xValues, null, N))).toBeLessThan(2e-5);
      const changed = Float32Array.from(xValues);
      for (let t = 5; t < N; t++) for (let c = 0; c < D; c++) changed[t * D + c] = 70 * (c + 1);
      const y2 = mixer.apply(tf.tensor3d(changed, [B, N, D]), maskTensor(), inferenceContext()).dataSync();
      expect(maxAbsDiff(y2, y, realPosition)).toBe(0);
      store.dispose();
    });

    it('uses min(k, N) rows, initialised normal(0.02), and takes lengths up to N (a shorter input is a padded one)', () => {
      expect(linformerRows(65, { k: 256 })).toBe(65);
      expect(linformerRows(4001, { k: 256 })).toBe(256);
      const { store, mixer } = build(256);
      expect(store.get('mixer/compress').shape).toEqual([N, N]);
      const e = read(store, 'mixer/compress');
      const std = Math.sqrt(e.reduce((a, v) => a + v * v, 0) / e.length);
      expect(std).toBeGreaterThan(0.01);
      expect(std).toBeLessThan(0.04);
      store.get('mixer/compress').assign(tf.tensor2d(Float32Array.from(seededUniform('linformer-e2', N * N)), [N, N]));
      const short = 4;
      const xShort = Float32Array.from(xValues.subarray(0, short * D));
      const y = mixer.apply(tf.tensor3d(xShort, [1, short, D]), null, inferenceContext()).dataSync();
      const padded = new Float32Array(N * D);
      padded.set(xShort);
      const yPadded = mixer.apply(tf.tensor3d(padded, [1, N, D]), tf.tensor2d([[1, 1, 1, 1, 0, 0, 0]]), inferenceContext()).dataSync();
      expect(maxAbsDiff(y, yPadded.subarray(0, short * D))).toBeLessThan(1e-6);
      expect(() => mixer.apply(tf.zeros([1, N + 2, D]), null, inferenceContext())).toThrow(
        'linformer: its projection E is fixed to 7 positions, got 9',
      );
      store.dispose();
      const long = build(256, 4001, 0, 4, 2);
      for (const length of [4001, 1025, 65]) {
        const out = tf.tidy(() => long.mixer.apply(tf.randomNormal([1, length, 4], 0, 1, 'float32', 9), null, inferenceContext()));
        expect(out.shape).toEqual([1, length, 4]);
        expect(Array.from(out.dataSync()).every(Number.isFinite)).toBe(true);
        out.dispose();
      }
      long.store.dispose();
    });

    it('drops attention weights in training only', () => {
      const { store, mixer } = build(4, N, 0.5);
      const a = mixer.apply(xTensor(), null, inferenceContext()).dataSync();
      const b = mixer.apply(xTensor(), null, trainingContext(2, 1)).dataSync();
      expect(maxAbsDiff(a, b)).toBeGreaterThan(1e-4);
      store.dispose();
    });

    it('validates its options', () => {
      const args = { dModel: D, heads: 3, seqLen: N, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
      expect(linformer.validate!(args, { k: 4 })).toBe('dModel 8 is not divisible by 3 heads');
      expect(linformer.validate!({ ...args, heads: 2 }, { k: 0 })).toBe('k must be a positive integer, got 0');
      expect(linformer.validate!({ ...args, heads: 2 }, linformer.defaults)).toBeNull();
    });
  });
}

describe('linformer gradients and training (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('has gradients that match finite differences for the input and every parameter', () => {
    const { store, mixer } = build(3);
    store.get('mixer/compress').assign(tf.tensor2d(Float32Array.from(seededUniform('linformer-e3', 3 * N)), [3, N]));
    const w = Float32Array.from(seededUniform('linformer-w', B * N * D), (v, i) => (realPosition(i) ? v : 0));
    const weights = tf.tensor3d(w, [B, N, D]);
    const loss = (x: tf.Tensor) => tf.sum(tf.mul(mixer.apply(x as tf.Tensor3D, maskTensor(), inferenceContext()), weights)) as tf.Scalar;
    const reference = (x: Float64Array) => referenceLinformer(store, x, MASK, N).reduce((s, v, i) => s + v * w[i]!, 0);
    assertGradcheck(loss, [xTensor()], { reference, atol: 1e-4, rtol: 2e-3 });
    expect(paramGradcheck(store, () => loss(xTensor()))).toEqual([]);
    store.dispose();
  });

  it('leaves no tensors behind', () => {
    const { store, mixer } = build(3, N, 0.1);
    const x = xTensor();
    const mask = maskTensor();
    expect(tensorsLeaked(mixer, x, mask, { context: (i) => trainingContext(1, i), shortInput: 5 })).toBe(0);
    store.dispose();
  });

  it('trains: a few dozen steps lower the loss on a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('linformer', { k: 8 }, { steps: 40 });
    expect(leaked).toBe(0);
    expect(lastLoss).toBeLessThan(firstLoss * 0.8);
  });
});
