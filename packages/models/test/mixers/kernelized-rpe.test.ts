import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import {
  kernelizedRpe,
  kernelizedRpeHeads,
  orthogonalFeatures,
  type KernelizedRpeOptions,
} from '../../src/mixers/kernelized-rpe.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { paramGradcheck } from './support/param-gradcheck.js';
import { trainsOnSyntheticTask } from './support/trains.js';
import { tensorsLeaked } from './support/leaks.js';

const B = 2;
const N = 7;
const D = 8;
const H = 2;
const DH = D / H;

function build(options: Partial<KernelizedRpeOptions> = {}, seqLen = N, dModel = D, heads = H) {
  const store = new ParamStore(71);
  const resolved: KernelizedRpeOptions = { ...kernelizedRpe.defaults, numFeatures: 6, ...options };
  const mixer = kernelizedRpe.create(
    { dModel, heads, seqLen, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0 },
    resolved,
  );
  return { store, mixer, options: resolved };
}

const read = (store: ParamStore, name: string): Float64Array => Float64Array.from(store.get(name).dataSync());

/** scipy.linalg.toeplitz(c[N-1::-1], c[N-1:]): T[i][j] = c_{j-i} = c[j - i + N - 1]. */
function denseToeplitz(c: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[i * n + j] = c[j - i + n - 1]!;
  return t;
}

interface HeadsInput {
  phiQ: Float64Array; // [B, H, N, m]
  phiK: Float64Array;
  v: Float64Array; // [B, H, N, d]
  c: Float64Array; // [H, 2N - 1]
  m: number;
  d: number;
  n: number;
}

/** The numerator and denominator channels through a dense Toeplitz matrix, contracted with phi(q). */
function viaDenseToeplitz({ phiQ, phiK, v, c, m, d, n }: HeadsInput): Float64Array {
  const out = new Float64Array(B * H * n * d);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const t = denseToeplitz(c.subarray(h * (2 * n - 1), (h + 1) * (2 * n - 1)), n);
      const base = (b * H + h) * n;
      // X[j][a][ch] = phiK[j][a] * [v_j, 1][ch]; (T X)[i] = sum_j T[i][j] X[j].
      for (let i = 0; i < n; i++) {
        const num = new Float64Array(d);
        let den = 0;
        for (let a = 0; a < m; a++) {
          const q = phiQ[(base + i) * m + a]!;
          for (let j = 0; j < n; j++) {
            const tk = t[i * n + j]! * phiK[(base + j) * m + a]!;
            for (let ch = 0; ch < d; ch++) num[ch] += q * tk * v[(base + j) * d + ch]!;
            den += q * tk;
          }
        }
        for (let ch = 0; ch < d; ch++) out[(base + i) * d + ch] = num[ch]! / den;
      }
    }
  return out;
}

/** The quadratic form: weights c_{j-i} phi(q_i) . phi(k_j), normalised over j. */
function quadraticForm({ phiQ, phiK, v, c, m, d, n }: HeadsInput): Float64Array {
  const out = new Float64Array(B * H * n * d);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const base = (b * H + h) * n;
      for (let i = 0; i < n; i++) {
        let total = 0;
        const acc = new Float64Array(d);
        for (let j = 0; j < n; j++) {
          let dot = 0;
          for (let a = 0; a < m; a++) dot += phiQ[(base + i) * m + a]! * phiK[(base + j) * m + a]!;
          const w = c[h * (2 * n - 1) + j - i + n - 1]! * dot;
          total += w;
          for (let ch = 0; ch < d; ch++) acc[ch] += w * v[(base + j) * d + ch]!;
        }
        for (let ch = 0; ch < d; ch++) out[(base + i) * d + ch] = acc[ch]! / total;
      }
    }
  return out;
}

/** The whole mixer in float64: projections, features (as the mixer draws them), quadratic form, output. */
function referenceMixer(store: ParamStore, x: Float64Array, mask: Float64Array | null, o: KernelizedRpeOptions, length: number): Float64Array {
  const [wq, wk, wv, wo] = ['query', 'key', 'value', 'output'].map((n) => read(store, `mixer/${n}/kernel`)) as Float64Array[];
  const bias = read(store, 'mixer/relativeBias');
  const m = o.featureMap === 'positive' ? o.numFeatures : DH;
  const w = o.featureMap === 'positive' ? Float64Array.from(orthogonalFeatures(o.numFeatures, DH, 'kernelized-rpe/mixer/')) : null;
  const heads = (weights: Float64Array) => {
    const out = new Float64Array(B * H * length * DH);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < length; t++)
        for (let c = 0; c < D; c++) {
          let s = 0;
          for (let k = 0; k < D; k++) s += x[(b * length + t) * D + k]! * weights[k * D + c]!;
          out[((b * H + Math.floor(c / DH)) * length + t) * DH + (c % DH)] = s;
        }
    return out;
  };
  const features = (u: Float64Array, isQuery: boolean) => {
    const out = new Float64Array(B * H * length * m);
    for (let bh = 0; bh < B * H; bh++) {
      const proj = new Float64Array(length * m);
      const half = new Float64Array(length);
      for (let t = 0; t < length; t++) {
        const row = Array.from(u.subarray((bh * length + t) * DH, (bh * length + t + 1) * DH), (val) => val * DH ** -0.25);
        half[t] = row.reduce((a, val) => a + val * val, 0) / 2;
        for (let a = 0; a < m; a++) {
          if (w) proj[t * m + a] = row.reduce((acc, val, i) => acc + val * w[a * DH + i]!, 0);
          else {
            const val = u[(bh * length + t) * DH + a]!;
            proj[t * m + a] = val > 0 ? val + 1 : Math.exp(val);
          }
        }
      }
      // The key stabiliser is the maximum over real keys only.
      const b = Math.floor(bh / H);
      const keyMax = Math.max(...Array.from(proj).filter((_, i) => !mask || mask[b * length + Math.floor(i / m)] === 1));
      for (let t = 0; t < length; t++) {
        const rowMax = Math.max(...proj.subarray(t * m, (t + 1) * m));
        const real = !isQuery && mask ? mask[b * length + t]! : 1;
        for (let a = 0; a < m; a++) {
          const value = w ? (Math.exp(proj[t * m + a]! - half[t]! - (isQuery ? rowMax : keyMax)) + 1e-4) / Math.sqrt(m) : proj[t * m + a]!;
          out[(bh * length + t) * m + a] = value * real;
        }
      }
    }
    return out;
  };
  const c = new Float64Array(H * (2 * length - 1));
  for (let h = 0; h < H; h++) for (let t = 0; t < 2 * length - 1; t++) c[h * (2 * length - 1) + t] = Math.exp(bias[h * (2 * N - 1) + N - length + t]!);
  const z = quadraticForm({ phiQ: features(heads(wq!), true), phiK: features(heads(wk!), false), v: heads(wv!), c, m, d: DH, n: length });
  const out = new Float64Array(B * length * D);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < length; t++)
      for (let c2 = 0; c2 < D; c2++) {
        let s = 0;
        for (let k = 0; k < D; k++) s += z[((b * H + Math.floor(k / DH)) * length + t) * DH + (k % DH)]! * wo![k * D + c2]!;
        out[(b * length + t) * D + c2] = s;
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
const xValues = seededUniform('krpe-x', B * N * D, -1.5, 1.5);
const xTensor = (): tf.Tensor3D => tf.tensor3d(Float32Array.from(xValues), [B, N, D]);
const maskTensor = (): tf.Tensor2D => tf.tensor2d(Float32Array.from(MASK), [B, N]);
const randomBias = (store: ParamStore) =>
  store.get('mixer/relativeBias').assign(tf.tensor2d(Float32Array.from(seededUniform('krpe-b', H * (2 * N - 1))), [H, 2 * N - 1]));

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`kernelized-rpe on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    for (const n of [1, 2, 7, 16]) {
      it(`FFT Toeplitz attention equals dense toeplitz(c) @ X and the quadratic form (N = ${n})`, () => {
        const m = 3;
        const d = 2;
        const input: HeadsInput = {
          phiQ: seededUniform(`q${n}`, B * H * n * m, 0.1, 1),
          phiK: seededUniform(`k${n}`, B * H * n * m, 0.1, 1),
          v: seededUniform(`v${n}`, B * H * n * d),
          c: seededUniform(`c${n}`, H * (2 * n - 1), 0.2, 3),
          m,
          d,
          n,
        };
        const got = tf.tidy(() =>
          kernelizedRpeHeads(
            tf.tensor4d(Float32Array.from(input.phiQ), [B, H, n, m]),
            tf.tensor4d(Float32Array.from(input.phiK), [B, H, n, m]),
            tf.tensor4d(Float32Array.from(input.v), [B, H, n, d]),
            tf.tensor2d(Float32Array.from(input.c), [H, 2 * n - 1]),
          ).dataSync(),
        );
        const dense = viaDenseToeplitz(input);
        expect(maxAbsDiff(got, dense)).toBeLessThan(2e-5);
        expect(maxAbsDiff(dense, quadraticForm(input))).toBeLessThan(1e-12);
      });
    }

    for (const featureMap of ['positive', 'elu'] as const) {
      it(`matches the float64 mixer with ${featureMap} features, padded keys left out`, () => {
        const { store, mixer, options } = build({ featureMap });
        randomBias(store);
        const y = mixer.apply(xTensor(), maskTensor(), inferenceContext()).dataSync();
        expect(maxAbsDiff(y, referenceMixer(store, xValues, MASK, options, N), realPosition)).toBeLessThan(2e-5);
        const unmasked = mixer.apply(xTensor(), null, inferenceContext()).dataSync();
        expect(maxAbsDiff(unmasked, referenceMixer(store, xValues, null, options, N))).toBeLessThan(2e-5);
        const changed = Float32Array.from(xValues);
        for (let t = 5; t < N; t++) for (let c = 0; c < D; c++) changed[t * D + c] = -3 * (c + 1);
        const y2 = mixer.apply(tf.tensor3d(changed, [B, N, D]), maskTensor(), inferenceContext()).dataSync();
        // Padded keys neither enter the sums nor set the key stabiliser.
        expect(maxAbsDiff(y2, y, realPosition)).toBeLessThan(1e-6);
        store.dispose();
      });
    }

    it('draws orthogonal features: rows of each block orthogonal, reproducible from the scope name', () => {
      const w = orthogonalFeatures(6, 4, 'seed');
      expect(Array.from(orthogonalFeatures(6, 4, 'seed'))).toEqual(Array.from(w));
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < i; j++) {
          let dot = 0;
          for (let k = 0; k < 4; k++) dot += w[i * 4 + k]! * w[j * 4 + k]!;
          expect(Math.abs(dot)).toBeLessThan(1e-5);
        }
    });

    it('reads the middle of its relative-bias table for shorter inputs and rejects longer ones', () => {
      const { store, mixer, options } = build({ featureMap: 'elu' });
      randomBias(store);
      const short = 4;
      const cut = new Float64Array(B * short * D);
      for (let b = 0; b < B; b++) cut.set(xValues.subarray(b * N * D, b * N * D + short * D), b * short * D);
      const y = mixer.apply(tf.tensor3d(Float32Array.from(cut), [B, short, D]), null, inferenceContext()).dataSync();
      expect(maxAbsDiff(y, referenceMixer(store, cut, null, options, short))).toBeLessThan(2e-5);
      expect(() => mixer.apply(tf.zeros([1, N + 1, D]), null, inferenceContext())).toThrow(
        'kernelized-rpe: its relative biases cover 7 positions, got 8',
      );
      store.dispose();
    });

    it('takes any length up to its own, odd and LRA lengths included', () => {
      const { store, mixer } = build({ numFeatures: 2 }, 2001, 4, 2);
      for (const length of [1, 2, 9, 65, 1025, 2001]) {
        const y = tf.tidy(() => mixer.apply(tf.randomNormal([1, length, 4], 0, 1, 'float32', 9), null, inferenceContext()));
        expect(y.shape).toEqual([1, length, 4]);
        expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
        y.dispose();
      }
      store.dispose();
    });

    it('validates its options', () => {
      const args = { dModel: D, heads: 3, seqLen: N, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
      expect(kernelizedRpe.validate!(args, kernelizedRpe.defaults)).toBe('dModel 8 is not divisible by 3 heads');
      expect(kernelizedRpe.validate!({ ...args, heads: 2 }, { ...kernelizedRpe.defaults, numFeatures: 0 })).toBe(
        'numFeatures must be a positive integer, got 0',
      );
      expect(kernelizedRpe.validate!({ ...args, heads: 2 }, kernelizedRpe.defaults)).toBeNull();
    });
  });
}

describe('kernelized-rpe gradients and training (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  for (const featureMap of ['positive', 'elu'] as const) {
    it(`has gradients that match finite differences for the input and every parameter (${featureMap})`, () => {
      const { store, mixer, options } = build({ featureMap });
      randomBias(store);
      const w = Float32Array.from(seededUniform('krpe-w', B * N * D), (v, i) => (realPosition(i) ? v : 0));
      const weights = tf.tensor3d(w, [B, N, D]);
      const loss = (x: tf.Tensor) => tf.sum(tf.mul(mixer.apply(x as tf.Tensor3D, maskTensor(), inferenceContext()), weights)) as tf.Scalar;
      const reference = (x: Float64Array) => referenceMixer(store, x, MASK, options, N).reduce((s, v, i) => s + v * w[i]!, 0);
      assertGradcheck(loss, [xTensor()], { reference, atol: 1e-4, rtol: 5e-3 });
      expect(paramGradcheck(store, () => loss(xTensor()))).toEqual([]);
      store.dispose();
    });
  }

  it('leaves no tensors behind', () => {
    const { store, mixer } = build();
    const x = xTensor();
    const mask = maskTensor();
    expect(tensorsLeaked(mixer, x, mask, { context: (i) => inferenceContext(), shortInput: 5 })).toBe(0);
    store.dispose();
  });

  it('trains: a few dozen steps lower the loss on a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('kernelized-rpe', {}, { steps: 40 });
    expect(leaked).toBe(0);
    expect(lastLoss).toBeLessThan(firstLoss * 0.8);
  });
});
