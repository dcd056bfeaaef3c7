import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { gmlp, type GmlpOptions } from '../../src/mixers/gmlp.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { paramGradcheck } from './support/param-gradcheck.js';
import { trainsOnSyntheticTask } from './support/trains.js';
import { tensorsLeaked } from './support/leaks.js';

const B = 2;
const N = 7;
const D = 4;
const F = 3;

function build(options: Partial<GmlpOptions> = { hiddenDim: F }, seqLen = N, dModel = D) {
  const store = new ParamStore(41);
  const mixer = gmlp.create(
    { dModel, heads: 1, seqLen, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0 },
    { ...gmlp.defaults, ...options },
  );
  return { store, mixer };
}

const read = (store: ParamStore, name: string): Float64Array => Float64Array.from(store.get(name).dataSync());

// Abramowitz and Stegun 7.1.26 (error under 1.5e-7), enough against float32.
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return Math.sign(x) * (1 - poly * Math.exp(-x * x));
}

/** The spatial gating unit in float64 from the paper's formula, for x [B, L, D], L <= N. */
function referenceMixer(store: ParamStore, x: Float64Array, mask: Float64Array | null, batch: number, length: number): Float64Array {
  const p = (n: string) => read(store, `mixer/${n}`);
  const [wIn, bIn, scale, shift, w, b, wOut, bOut] = [
    p('expand/kernel'), p('expand/bias'), p('gateNorm/scale'), p('gateNorm/bias'),
    p('spatial/kernel'), p('spatial/bias'), p('project/kernel'), p('project/bias'),
  ] as Float64Array[];
  const out = new Float64Array(batch * length * D);
  for (let n = 0; n < batch; n++) {
    const u = new Float64Array(length * F);
    const v = new Float64Array(length * F);
    for (let t = 0; t < length; t++) {
      const h = new Float64Array(2 * F);
      for (let c = 0; c < 2 * F; c++) {
        let s = bIn![c]!;
        for (let d = 0; d < D; d++) s += x[(n * length + t) * D + d]! * wIn![d * 2 * F + c]!;
        h[c] = 0.5 * s * (1 + erf(s / Math.SQRT2));
      }
      let mean = 0;
      for (let c = 0; c < F; c++) mean += h[F + c]! / F;
      let variance = 0;
      for (let c = 0; c < F; c++) variance += (h[F + c]! - mean) ** 2 / F;
      const real = mask ? mask[n * length + t]! : 1;
      for (let c = 0; c < F; c++) {
        u[t * F + c] = h[c]!;
        v[t * F + c] = real * (((h[F + c]! - mean) / Math.sqrt(variance + 1e-6)) * scale![c]! + shift![c]!);
      }
    }
    for (let i = 0; i < length; i++) {
      const gated = new Float64Array(F);
      for (let c = 0; c < F; c++) {
        let s = b![i]!;
        for (let j = 0; j < length; j++) s += w![i * N + j]! * v[j * F + c]!;
        gated[c] = u[i * F + c]! * s;
      }
      for (let d = 0; d < D; d++) {
        let s = bOut![d]!;
        for (let c = 0; c < F; c++) s += gated[c]! * wOut![c * D + d]!;
        out[(n * length + i) * D + d] = s;
      }
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
const xValues = seededUniform('gmlp-x', B * N * D, -1.5, 1.5);
const xTensor = (): tf.Tensor3D => tf.tensor3d(Float32Array.from(xValues), [B, N, D]);
const maskTensor = (): tf.Tensor2D => tf.tensor2d(Float32Array.from(MASK), [B, N]);

/** W far from its near-zero initial values, so that token mixing shows in the output. */
function randomiseSpatial(store: ParamStore): void {
  store.get('mixer/spatial/kernel').assign(tf.tensor2d(Float32Array.from(seededUniform('gmlp-w', N * N, -0.5, 0.5)), [N, N]));
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`gmlp on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    it('matches the float64 spatial gating unit, with and without padding', () => {
      const { store, mixer } = build();
      randomiseSpatial(store);
      const y = mixer.apply(xTensor(), maskTensor(), inferenceContext()).dataSync();
      expect(maxAbsDiff(y, referenceMixer(store, xValues, MASK, B, N), realPosition)).toBeLessThan(2e-5);
      const unmasked = mixer.apply(xTensor(), null, inferenceContext()).dataSync();
      expect(maxAbsDiff(unmasked, referenceMixer(store, xValues, null, B, N))).toBeLessThan(2e-5);
      // Padded positions reach no real one.
      const changed = Float32Array.from(xValues);
      for (let t = 5; t < N; t++) for (let c = 0; c < D; c++) changed[t * D + c] = 30 * (c + 1);
      const y2 = mixer.apply(tf.tensor3d(changed, [B, N, D]), maskTensor(), inferenceContext()).dataSync();
      expect(maxAbsDiff(y2, y, realPosition)).toBe(0);
      store.dispose();
    });

    it('starts as the identity gate: W uniform within 1e-3/N, b = 1', () => {
      const { store, mixer } = build();
      const w = read(store, 'mixer/spatial/kernel');
      expect(Math.max(...Array.from(w, Math.abs))).toBeLessThanOrEqual(1e-3 / N);
      expect(Math.max(...Array.from(w, Math.abs))).toBeGreaterThan(1e-4 / N);
      expect(Array.from(read(store, 'mixer/spatial/bias'))).toEqual(new Array(N).fill(1));
      // With W = 0 the output at a position depends on that position only.
      store.get('mixer/spatial/kernel').assign(tf.zeros([N, N]));
      const changed = Float32Array.from(xValues);
      for (let c = 0; c < D; c++) changed[3 * D + c] += 1;
      const a = mixer.apply(xTensor(), null, inferenceContext()).dataSync();
      const b = mixer.apply(tf.tensor3d(changed, [B, N, D]), null, inferenceContext()).dataSync();
      expect(maxAbsDiff(a, b, (i) => Math.floor(i / D) !== 3)).toBe(0);
      store.dispose();
    });

    it('takes lengths up to its fixed N (a shorter input is a zero-padded one) and rejects longer ones', () => {
      const { store, mixer } = build();
      randomiseSpatial(store);
      const short = 4;
      const xShort = Float32Array.from(xValues.subarray(0, short * D));
      const y = mixer.apply(tf.tensor3d(xShort, [1, short, D]), null, inferenceContext()).dataSync();
      const padded = new Float32Array(N * D);
      padded.set(xShort);
      const mask = tf.tensor2d([[1, 1, 1, 1, 0, 0, 0]]);
      const yPadded = mixer.apply(tf.tensor3d(padded, [1, N, D]), mask, inferenceContext()).dataSync();
      expect(maxAbsDiff(y, yPadded.subarray(0, short * D))).toBeLessThan(1e-6);
      expect(() => mixer.apply(tf.zeros([1, N + 1, D]), null, inferenceContext())).toThrow(
        'gmlp: its token projection is fixed to 7 positions, got 8',
      );
      store.dispose();
      const long = build({}, 2001, 4);
      for (const length of [2001, 1025, 65]) {
        const out = tf.tidy(() => long.mixer.apply(tf.randomNormal([1, length, 4], 0, 1, 'float32', 7), null, inferenceContext()));
        expect(out.shape).toEqual([1, length, 4]);
        expect(Array.from(out.dataSync()).every(Number.isFinite)).toBe(true);
        out.dispose();
      }
      long.store.dispose();
    });

    it('validates its options', () => {
      const args = { dModel: D, heads: 1, seqLen: N, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
      expect(gmlp.validate!(args, { hiddenDim: 2.5 })).toBe('hiddenDim must be a positive integer, got 2.5');
      expect(gmlp.validate!(args, gmlp.defaults)).toBeNull();
    });
  });
}

describe('gmlp gradients and training (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('has gradients that match finite differences for the input and every parameter', () => {
    const { store, mixer } = build();
    randomiseSpatial(store);
    const weights = tf.tensor3d(Float32Array.from(seededUniform('gmlp-lw', B * N * D), (w, i) => (realPosition(i) ? w : 0)), [B, N, D]);
    const loss = (x: tf.Tensor) => tf.sum(tf.mul(mixer.apply(x as tf.Tensor3D, maskTensor(), inferenceContext()), weights)) as tf.Scalar;
    assertGradcheck(loss, [xTensor()], { eps: 1e-2, atol: 2e-3, rtol: 2e-2 });
    expect(paramGradcheck(store, () => loss(xTensor()))).toEqual([]);
    store.dispose();
  });

  it('leaves no tensors behind', () => {
    const { store, mixer } = build();
    const x = xTensor();
    const mask = maskTensor();
    expect(tensorsLeaked(mixer, x, mask, { context: (i) => inferenceContext(), shortInput: 5 })).toBe(0);
    store.dispose();
  });

  it('trains: a few dozen steps lower the loss on a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('gmlp', {}, { steps: 40 });
    expect(leaked).toBe(0);
    expect(lastLoss).toBeLessThan(firstLoss * 0.8);
  });
});
