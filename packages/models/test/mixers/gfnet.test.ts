import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { gfnet, type GfnetOptions } from '../../src/mixers/gfnet.js';
import { getMixer } from '../../src/mixers/registry.js';
import type { Mixer } from '../../src/mixers/types.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { trainsOnSyntheticTask } from './support/trains.js';
import { denseIrfft, denseRfft, expectParamGradients, maxAbsDiff, readParams } from './spectral-reference.js';

const B = 2;
const D = 6;
const H = 3;

interface Built {
  store: ParamStore;
  mixer: Mixer;
  options: GfnetOptions;
}

function build(options: Partial<GfnetOptions> = {}, seqLen = 7, dModel = D): Built {
  const store = new ParamStore(23);
  const resolved = { ...gfnet.defaults, ...options };
  const args = { dModel, heads: H, seqLen, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0 };
  expect(gfnet.validate!(args, resolved)).toBeNull();
  return { store, mixer: gfnet.create(args, resolved), options: resolved };
}

/** Per example and channel: irfft(rfft(x * mask, seqLen) * K, seqLen), first n samples, float64. */
function reference(
  x: ArrayLike<number>,
  mask: ArrayLike<number> | null,
  params: Record<string, Float64Array>,
  options: GfnetOptions,
  n: number,
  seqLen: number,
  dModel = D,
): Float64Array {
  const channels = options.channels === 'model' ? dModel : H;
  const real = params['mixer/filter/real']!;
  const imag = params['mixer/filter/imag']!;
  const bins = Math.floor(seqLen / 2) + 1;
  const out = new Float64Array(B * n * dModel);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < dModel; c++) {
      const signal = new Float64Array(seqLen);
      for (let t = 0; t < n; t++) signal[t] = x[(b * n + t) * dModel + c]! * (mask ? mask[b * n + t]! : 1);
      const { re, im } = denseRfft(signal, 'ortho');
      const group = Math.floor(c / (dModel / channels));
      for (let f = 0; f < bins; f++) {
        const [kr, ki] = [real[f * channels + group]!, imag[f * channels + group]!];
        [re[f], im[f]] = [re[f]! * kr - im[f]! * ki, re[f]! * ki + im[f]! * kr];
      }
      const y = denseIrfft(re, im, seqLen, 'ortho');
      for (let t = 0; t < n; t++) out[(b * n + t) * dModel + c] = y[t]!;
    }
  }
  return out;
}

const MASK7 = [1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1];

describe('gfnet', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    for (const [channels, n] of [
      ['model', 7],
      ['heads', 8],
      ['heads', 7],
    ] as const) {
      it(`matches a dense-DFT filter per ${channels === 'model' ? 'channel' : 'head'} at N ${n} with a mask (${backend})`, async () => {
        await selectBackend(backend);
        // Noise 0.5 so that the filter is far from the identity.
        const { store, mixer, options } = build({ channels, initNoise: 0.5 }, n);
        const values = seededUniform(`gfnet-${n}`, B * n * D);
        const mask = Float64Array.from({ length: B * n }, (_, i) => (i % n < n - 2 || i >= n ? 1 : 0));
        const y = tf.tidy(() =>
          mixer
            .apply(tf.tensor3d(Float32Array.from(values), [B, n, D]), tf.tensor2d(Float32Array.from(mask), [B, n]), inferenceContext())
            .dataSync(),
        );
        expect(maxAbsDiff(y, reference(values, mask, readParams(store), options, n, n))).toBeLessThan(1e-5);
        store.dispose();
      });
    }
  }

  it('starts as the identity plus noise (exactly the identity without noise), also at LRA lengths', async () => {
    await selectBackend('wasm');
    for (const n of [1, 2, 9, 1025, 2001, 4001]) {
      const { store, mixer } = build({ initNoise: 0 }, n, 4);
      const values = Float32Array.from(seededUniform(`gfnet-id-${n}`, n * 4));
      const y = tf.tidy(() => mixer.apply(tf.tensor3d(values, [1, n, 4]), null, inferenceContext()));
      expect(y.shape).toEqual([1, n, 4]);
      expect(maxAbsDiff(y.dataSync(), values)).toBeLessThan(2e-5);
      y.dispose();
      store.dispose();
    }
    const { store } = build({}, 9);
    const real = store.get('mixer/filter/real').dataSync();
    expect(store.get('mixer/filter/real').shape).toEqual([5, D]);
    expect(Math.max(...Array.from(real, (v) => Math.abs(v - 1)))).toBeLessThan(0.1);
    expect(Math.max(...Array.from(real, (v) => Math.abs(v - 1)))).toBeGreaterThan(0);
    store.dispose();
  });

  it('ignores what padded positions hold, and treats a shorter input as padded to its length', async () => {
    await selectBackend('wasm');
    const { store, mixer } = build({ initNoise: 0.5 });
    const values = Float32Array.from(seededUniform('gfnet-pad', B * 7 * D));
    const changed = Float32Array.from(values);
    for (const t of [5, 6]) for (let c = 0; c < D; c++) changed[t * D + c] = 50 + c;
    const mask = tf.tensor2d(MASK7, [B, 7]);
    const a = mixer.apply(tf.tensor3d(values, [B, 7, D]), mask, inferenceContext()).dataSync();
    const b = mixer.apply(tf.tensor3d(changed, [B, 7, D]), mask, inferenceContext()).dataSync();
    expect(maxAbsDiff(a.subarray(0, 5 * D), b.subarray(0, 5 * D))).toBe(0);
    // The first 5 tokens alone: as if padded to 7.
    const short = tf.tidy(() =>
      mixer.apply(tf.slice(tf.tensor3d(values, [B, 7, D]), [0, 0, 0], [1, 5, D]) as tf.Tensor3D, null, inferenceContext()).dataSync(),
    );
    expect(maxAbsDiff(short, a.subarray(0, 5 * D))).toBeLessThan(1e-6);
    expect(() => mixer.apply(tf.zeros([1, 8, D]), null, inferenceContext())).toThrow('exceeds the length 7');
    mask.dispose();
    store.dispose();
  });

  it('has gradients for the input and both filter parts that match finite differences', async () => {
    await selectBackend('wasm');
    for (const channels of ['model', 'heads'] as const) {
      const n = 6;
      const { store, mixer, options } = build({ channels, initNoise: 0.5 }, n);
      const weights = seededUniform('gfnet-w', B * n * D);
      const values = seededUniform('gfnet-g', B * n * D);
      const mask = MASK7.slice(0, B * n);
      const lossOf = (y: Float64Array) => y.reduce((s, v, i) => s + v * weights[i]!, 0);
      const w = tf.tensor3d(Float32Array.from(weights), [B, n, D]);
      const x = tf.tensor3d(Float32Array.from(values), [B, n, D]);
      const m = tf.tensor2d(mask, [B, n]);
      const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(mixer.apply(input as tf.Tensor3D, m, inferenceContext()), w));
      assertGradcheck(loss, [x], { reference: (xs) => lossOf(reference(xs, mask, readParams(store), options, n, n)) });
      const checked = expectParamGradients(store, () => loss(x), (params) => lossOf(reference(values, mask, params, options, n, n)));
      expect(checked).toEqual(['mixer/filter/real', 'mixer/filter/imag']);
      tf.dispose([w, x, m]);
      store.dispose();
    }
  });

  it('is registered and validates its channel grouping', () => {
    expect(getMixer('gfnet')).toBe(gfnet);
    const args = { dModel: 8, heads: 3, seqLen: 9, dropout: 0, attentionDropout: 0, params: new ParamStore(1), layer: 0 };
    expect(gfnet.validate!(args, { ...gfnet.defaults, channels: 'heads' })).toBe('dModel 8 is not divisible by 3 heads');
    expect(gfnet.validate!(args, gfnet.defaults)).toBeNull();
    expect(gfnet.validate!(args, { ...gfnet.defaults, initNoise: -1 })).toBe('initNoise must be >= 0, got -1');
  });

  it('trains: a few dozen steps lower the loss, without leaking tensors', async () => {
    await selectBackend('wasm');
    const result = trainsOnSyntheticTask('gfnet', {}, { steps: 40 });
    expect(result.leaked).toBe(0);
    expect(result.lastLoss).toBeLessThan(result.firstLoss * 0.8);
  });
});
