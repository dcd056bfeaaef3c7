import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { createClassifier } from '../../src/encoder/classifier.js';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { listMixers } from '../../src/mixers/catalog.js';
import { fftnet, frequencyMaskValues, type FftnetOptions } from '../../src/mixers/fftnet.js';
import { getMixer, resolveMixerOptions } from '../../src/mixers/registry.js';
import type { Mixer } from '../../src/mixers/types.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { trainsOnSyntheticTask } from './support/trains.js';
import { fftnetReference, type FftnetShape } from './fftnet-reference.js';
import { expectParamGradients, layerNormRows, maxAbsDiff, readParams } from './spectral-reference.js';

const B = 2;
const D = 6;
const H = 2;

interface Built {
  store: ParamStore;
  mixer: Mixer;
  options: FftnetOptions;
}

/** The mixer with every parameter moved off its initial value, so no term is trivially 0 or 1. */
function build(options: Partial<FftnetOptions> = {}, seqLen = 7, dropout = 0): Built {
  const store = new ParamStore(31);
  const resolved = resolveMixerOptions('fftnet', options);
  const args = { dModel: D, heads: H, seqLen, dropout, attentionDropout: 0, params: store.scope('mixer'), layer: 0 };
  expect(fftnet.validate!(args, resolved)).toBeNull();
  const mixer = fftnet.create(args, resolved);
  const snapshot = store.snapshot();
  for (const [name, entry] of Object.entries(snapshot)) {
    const noise = seededUniform(`fftnet-param-${name}`, entry.values.length, -0.3, 0.3);
    entry.values = entry.values.map((v, i) => v + noise[i]!);
  }
  store.restore(snapshot);
  return { store, mixer, options: resolved };
}

const shapeOf = (n: number, seqLen = n): FftnetShape => ({ batch: B, length: n, seqLen, dModel: D, heads: H });
const maskFor = (n: number): Float64Array => Float64Array.from({ length: B * n }, (_, i) => (i < n && i >= n - 2 ? 0 : 1));

function run(mixer: Mixer, values: Float64Array, mask: Float64Array | null, n: number): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor3d(Float32Array.from(values), [B, n, D]);
    const m = mask ? tf.tensor2d(Float32Array.from(mask), [B, n]) : null;
    return mixer.apply(x, m, inferenceContext()).dataSync() as Float32Array;
  });
}

const CASES: Array<Partial<FftnetOptions>> = [
  {},
  { variant: 'gelu-dcb3104' },
  { filter: 'static', activation: 'gelu-magnitude' },
  { variant: 'gelu-dcb3104', filter: 'static', activation: 'modrelu' },
  { filter: 'none' },
  { variant: 'gelu-dcb3104', activation: 'none', frequencyMask: 'low-pass', maskFraction: 0.5 },
  { frequencyMask: 'high-pass', maskFraction: 0.3 },
  { variant: 'gelu-dcb3104', frequencyMask: 'band', bandLow: 0.2, bandHigh: 0.7 },
  // A narrower adaptive MLP (the knob that keeps FFTNet within LRA's parameter budget).
  { adaptiveWidth: 3 },
  { variant: 'gelu-dcb3104', adaptiveWidth: 5 },
];

describe('fftnet', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    for (const n of [7, 8]) {
      it(`matches the float64 module for every variant and knob at N ${n}, with a mask (${backend})`, async () => {
        await selectBackend(backend);
        for (const options of CASES) {
          const { store, mixer, options: resolved } = build(options, n);
          const values = seededUniform(`fftnet-x-${n}`, B * n * D, -1.5, 1.5);
          const mask = maskFor(n);
          const expected = fftnetReference(values, mask, readParams(store), resolved, shapeOf(n));
          expect(maxAbsDiff(run(mixer, values, mask, n), expected), JSON.stringify(options)).toBeLessThan(2e-5);
          store.dispose();
        }
      });
    }
  }

  it('has an identity spectral path with W = 1 and no activation (irfft(rfft(x)) = x, odd N too)', async () => {
    await selectBackend('wasm');
    for (const n of [7, 8]) {
      const store = new ParamStore(2);
      const args = { dModel: D, heads: H, seqLen: n, dropout: 0, attentionDropout: 0, params: store, layer: 0 };
      const values = seededUniform(`fftnet-id-${n}`, B * n * D);
      // dcb3104 returns the spectral path alone: filter none, activation none -> y = x.
      const plain = fftnet.create(args, resolveMixerOptions('fftnet', { variant: 'gelu-dcb3104', filter: 'none', activation: 'none' }));
      expect(maxAbsDiff(run(plain, values, null, n), values)).toBeLessThan(1e-5);
      // 177799f with its base filter at its initial ones: LN(x + x).
      const ownStore = new ParamStore(2);
      const ownOptions = resolveMixerOptions('fftnet', { filter: 'static', activation: 'none' });
      const own = fftnet.create({ ...args, params: ownStore.scope('mixer') }, ownOptions);
      expect(own.ownsResidual).toBe(true);
      const doubled = Float64Array.from(values, (v) => 2 * v);
      const expected = fftnetReference(values, null, readParams(ownStore), ownOptions, shapeOf(n));
      // The reference itself: LN(2x) row by row (LayerNorm ones/zeros at init).
      expect(maxAbsDiff(expected, layerNormRows(doubled, D, 1e-5, new Float64Array(D).fill(1), new Float64Array(D)))).toBeLessThan(1e-9);
      expect(maxAbsDiff(run(own, values, null, n), expected)).toBeLessThan(1e-5);
      ownStore.dispose();
      store.dispose();
    }
  });

  it('ignores what padded positions hold, and treats a shorter input as padded to its length', async () => {
    await selectBackend('wasm');
    const { store, mixer } = build({ variant: 'gelu-dcb3104' }, 7);
    const values = seededUniform('fftnet-pad', B * 7 * D);
    const mask = maskFor(7);
    const changed = Float64Array.from(values, (v, i) => (mask[Math.floor(i / D)] ? v : 40 + (i % 5)));
    const a = run(mixer, values, mask, 7);
    const b = run(mixer, changed, mask, 7);
    for (let i = 0; i < a.length; i++) if (mask[Math.floor(i / D)]) expect(b[i]).toBe(a[i]);
    // Example 0's five real tokens alone (no mask): as if padded to 7.
    const short = tf.tidy(() =>
      mixer.apply(tf.tensor3d(Float32Array.from(values.subarray(0, 5 * D)), [1, 5, D]), null, inferenceContext()).dataSync(),
    );
    expect(maxAbsDiff(short, a.subarray(0, 5 * D))).toBeLessThan(1e-5);
    expect(() => mixer.apply(tf.zeros([1, 9, D]), null, inferenceContext())).toThrow('exceeds the length 7');
    store.dispose();
  });

  it('takes odd and LRA lengths; its MLP grows with N and `lra mixers` counts it', async () => {
    await selectBackend('wasm');
    for (const n of [1, 3, 1025, 2001, 4001]) {
      const { store, mixer } = build({}, n);
      const y = tf.tidy(() => mixer.apply(tf.randomNormal([1, n, D], 0, 1, 'float32', 5) as tf.Tensor3D, null, inferenceContext()));
      expect(y.shape).toEqual([1, n, D]);
      expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
      y.dispose();
      const bins = Math.floor(n / 2) + 1;
      expect(store.get('mixer/adaptive/output/kernel').shape).toEqual([D, H * bins]);
      store.dispose();
    }
    const sizes = { dModel: 8, heads: 2, seqLen: 65 };
    const bins = 33;
    const listed = listMixers(sizes).find((m) => m.name === 'fftnet')!;
    // hidden D*D + D, output D*H*F + H*F, base filter H*F, modReLU bias H*F, own LayerNorm 2D.
    expect(listed.params).toBe(8 * 8 + 8 + 8 * 2 * bins + 2 * bins + 2 * bins + 2 * bins + 16);
  });

  it('applies its own dropout (177799f) only in training, reproducibly per step', async () => {
    await selectBackend('wasm');
    const { store, mixer } = build({}, 7, 0.5);
    const values = seededUniform('fftnet-drop', B * 7 * D);
    const x = tf.tensor3d(Float32Array.from(values), [B, 7, D]);
    const inference = run(mixer, values, null, 7);
    const expected = fftnetReference(values, null, readParams(store), resolveMixerOptions('fftnet', {}), shapeOf(7));
    expect(maxAbsDiff(inference, expected)).toBeLessThan(2e-5);
    const step1 = mixer.apply(x, null, trainingContext(4, 1));
    const again = mixer.apply(x, null, trainingContext(4, 1));
    expect(Array.from(again.dataSync())).toEqual(Array.from(step1.dataSync()));
    expect(maxAbsDiff(step1.dataSync(), inference)).toBeGreaterThan(1e-2);
    tf.dispose([x, step1, again]);
    store.dispose();
  });

  it('has gradients for the input and every parameter that match finite differences', async () => {
    await selectBackend('wasm');
    const n = 6;
    for (const options of [{}, { variant: 'gelu-dcb3104' as const, activation: 'modrelu' as const }, { activation: 'gelu-magnitude' as const }]) {
      const { store, mixer, options: resolved } = build(options, n);
      const weights = seededUniform('fftnet-w', B * n * D);
      const values = seededUniform('fftnet-g', B * n * D, -1.5, 1.5);
      const mask = maskFor(n);
      const lossOf = (y: Float64Array) => y.reduce((s, v, i) => s + v * weights[i]!, 0);
      const w = tf.tensor3d(Float32Array.from(weights), [B, n, D]);
      const x = tf.tensor3d(Float32Array.from(values), [B, n, D]);
      const m = tf.tensor2d(Float32Array.from(mask), [B, n]);
      const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(mixer.apply(input as tf.Tensor3D, m, inferenceContext()), w));
      assertGradcheck(loss, [x], {
        reference: (xs) => lossOf(fftnetReference(xs, mask, readParams(store), resolved, shapeOf(n))),
        atol: 2e-4,
        rtol: 2e-3,
      });
      const checked = expectParamGradients(
        store,
        () => loss(x),
        (params) => lossOf(fftnetReference(values, mask, params, resolved, shapeOf(n))),
        { atol: 2e-4, rtol: 2e-3 },
      );
      expect(checked.length).toBe(store.variables().length);
      tf.dispose([w, x, m]);
      store.dispose();
    }
  });

  it('creates the parameters of the chosen variant and knobs only', () => {
    const names = (options: Partial<FftnetOptions>): string[] => {
      const store = new ParamStore(1);
      fftnet.create({ dModel: D, heads: H, seqLen: 7, dropout: 0, attentionDropout: 0, params: store, layer: 0 }, resolveMixerOptions('fftnet', options));
      const out = store.variables().map((p) => p.name);
      store.dispose();
      return out;
    };
    expect(names({})).toEqual([
      'baseFilter', 'adaptive/hidden/kernel', 'adaptive/hidden/bias', 'adaptive/output/kernel', 'adaptive/output/bias',
      'modreluBias', 'norm/scale', 'norm/bias',
    ]);
    expect(names({ variant: 'gelu-dcb3104' })).toEqual([
      'baseFilter', 'baseBias', 'adaptive/hidden/kernel', 'adaptive/hidden/bias', 'adaptive/output/kernel', 'adaptive/output/bias',
    ]);
    expect(names({ filter: 'none', activation: 'none' })).toEqual(['norm/scale', 'norm/bias']);
    // In the classifier, 177799f's block has no LayerNorm before the mixer (the mixer normalises).
    for (const [variant, hasMixerNorm] of [['modrelu-177799f', false], ['gelu-dcb3104', true]] as const) {
      const model = createClassifier(
        {
          vocabSize: 5, seqLen: 8, numClasses: 2, dModel: D, heads: H, layers: 1, mlpDim: 8, dropout: 0, attentionDropout: 0,
          pool: 'cls', positions: 'learned', mixer: 'fftnet', mixerOptions: { variant },
        },
        1,
      );
      const all = model.params.variables().map((p) => p.name);
      expect(all.includes('layer0/mixerNorm/scale'), variant).toBe(hasMixerNorm);
      expect(all).toContain('encoderNorm/scale');
      model.dispose();
    }
  });

  it('masks frequency bins as documented and validates its options', () => {
    const options = resolveMixerOptions('fftnet', {});
    expect(Array.from(frequencyMaskValues({ ...options, frequencyMask: 'low-pass', maskFraction: 0.5 }, 5))).toEqual([1, 1, 1, 0, 0]);
    expect(Array.from(frequencyMaskValues({ ...options, frequencyMask: 'high-pass', maskFraction: 0.4 }, 5))).toEqual([0, 0, 0, 1, 1]);
    expect(Array.from(frequencyMaskValues({ ...options, frequencyMask: 'band', bandLow: 0.2, bandHigh: 0.6 }, 5))).toEqual([0, 1, 1, 0, 0]);
    const args = { dModel: 8, heads: 3, seqLen: 9, dropout: 0, attentionDropout: 0, params: new ParamStore(1), layer: 0 };
    expect(fftnet.validate!(args, options)).toBe('dModel 8 is not divisible by 3 heads');
    const ok = { ...args, heads: 2 };
    expect(fftnet.validate!(ok, { ...options, frequencyMask: 'low-pass', maskFraction: 0 })).toBe('maskFraction must be in (0, 1], got 0');
    expect(fftnet.validate!(ok, { ...options, frequencyMask: 'band', bandLow: 0.5, bandHigh: 0.5 })).toBe(
      'band needs 0 <= bandLow < bandHigh <= 1, got bandLow 0.5, bandHigh 0.5',
    );
    expect(() => resolveMixerOptions('fftnet', { variant: 'modrelu' })).toThrow('must be one of');
    expect(getMixer('fftnet')).toBe(fftnet);
  });

  for (const variant of ['modrelu-177799f', 'gelu-dcb3104'] as const) {
    it(`trains (${variant}): a few dozen steps lower the loss, without leaking tensors`, async () => {
      await selectBackend('wasm');
      const result = trainsOnSyntheticTask('fftnet', { variant }, { steps: 40 });
      expect(result.leaked).toBe(0);
      expect(result.lastLoss).toBeLessThan(result.firstLoss * 0.8);
    });
  }
});
