import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { createClassifier } from '../../src/encoder/classifier.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { attention } from '../../src/mixers/attention.js';
import {
  dctShorten,
  fourierTransformer,
  keptCoefficients,
  type FourierTransformerOptions,
} from '../../src/mixers/fourier-transformer.js';
import { getMixer } from '../../src/mixers/registry.js';
import type { Mixer } from '../../src/mixers/types.js';
import { dct, idct } from '../../src/spectral/index.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { referenceAttention } from './attention-reference.js';
import { trainsOnSyntheticTask } from './support/trains.js';
import { expectParamGradients, maxAbsDiff, readParams } from './spectral-reference.js';

interface DctCase {
  length: number;
  width: number;
  keep: number;
  hasCls: boolean;
  x: number[];
  dct: number[];
  kept: number;
  shortened: number[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/mixers/fourier-transformer-dct.json', import.meta.url), 'utf8'),
) as { cases: DctCase[] };

const B = 2;
const D = 4;
const H = 2;

/** Orthonormal DCT-II (or, inverse, DCT-III) along tokens of [B, n, D], from the cosine sums. */
function denseDct(x: Float64Array, batch: number, n: number, width: number, inverse = false, outLength = n): Float64Array {
  const out = new Float64Array(batch * outLength * width);
  const s = (k: number, len: number) => Math.sqrt((k === 0 ? 1 : 2) / len);
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < width; c++) {
      for (let i = 0; i < outLength; i++) {
        let sum = 0;
        for (let j = 0; j < n; j++) {
          const value = x[(b * n + j) * width + c]!;
          // Forward: X_i = s_i sum_j x_j cos(pi (2j+1) i / 2n); inverse: x_i = sum_j s_j X_j cos(pi (2i+1) j / 2n).
          sum += inverse
            ? s(j, outLength) * value * Math.cos((Math.PI * (2 * i + 1) * j) / (2 * outLength))
            : s(i, n) * value * Math.cos((Math.PI * (2 * j + 1) * i) / (2 * n));
        }
        out[(b * outLength + i) * width + c] = sum;
      }
    }
  }
  return out;
}

/** The shortened sequence in float64: CLS apart, padded tokens zeroed, DCT, keep, IDCT at that length. */
function shortenReference(x: Float64Array, mask: Float64Array | null, n: number, keep: number, hasCls: boolean): Float64Array {
  const first = hasCls ? 1 : 0;
  const tokens = n - first;
  const kept = Math.min(Math.ceil(keep * n), tokens);
  const body = new Float64Array(B * tokens * D);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < tokens; t++) {
      for (let c = 0; c < D; c++) {
        body[(b * tokens + t) * D + c] = x[(b * n + t + first) * D + c]! * (mask ? mask[b * n + t + first]! : 1);
      }
    }
  }
  const coefficients = denseDct(body, B, tokens, D);
  const truncated = new Float64Array(B * kept * D);
  for (let b = 0; b < B; b++) truncated.set(coefficients.subarray(b * tokens * D, (b * tokens + kept) * D), b * kept * D);
  const short = denseDct(truncated, B, kept, D, true, kept);
  const out = new Float64Array(B * (kept + first) * D);
  for (let b = 0; b < B; b++) {
    if (first) out.set(x.subarray(b * n * D, (b * n + 1) * D), b * (kept + 1) * D);
    out.set(short.subarray(b * kept * D, (b + 1) * kept * D), (b * (kept + first) + first) * D);
  }
  return out;
}

function build(options: Partial<FourierTransformerOptions>, seqLen: number, hasCls: boolean, layer = 0) {
  const store = new ParamStore(41);
  const resolved = { ...fourierTransformer.defaults, ...options };
  const args = { dModel: D, heads: H, seqLen, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer, hasCls };
  expect(fourierTransformer.validate!(args, resolved)).toBeNull();
  return { store, mixer: fourierTransformer.create(args, resolved) as Mixer, options: resolved };
}

/** The whole mixer in float64: shorten, then exact attention without a mask. */
function mixerReference(
  x: Float64Array,
  mask: Float64Array | null,
  params: Record<string, Float64Array>,
  n: number,
  keep: number,
  hasCls: boolean,
): Float64Array {
  const short = shortenReference(x, mask, n, keep, hasCls);
  return referenceAttention({
    x: short,
    mask: null,
    wq: params['mixer/query/kernel']!,
    wk: params['mixer/key/kernel']!,
    wv: params['mixer/value/kernel']!,
    wo: params['mixer/output/kernel']!,
    batch: B,
    length: short.length / (B * D),
    dModel: D,
    heads: H,
    width: D,
    rope: false,
  });
}

describe('fourier-transformer', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  for (const c of fixture.cases) {
    it(`DCT downsampling matches scipy.fft.dct/idct (n ${c.length}, keep ${c.keep}, CLS ${c.hasCls})`, () => {
      const x = tf.tensor3d(Float32Array.from(c.x), [1, c.length, c.width]);
      const tokens = c.hasCls ? tf.slice(x, [0, 1, 0], [1, c.length - 1, c.width]) : x;
      const coefficients = dct(tokens, { axis: 1 });
      expect(maxAbsDiff(coefficients.dataSync(), c.dct)).toBeLessThan(2e-5);
      expect(keptCoefficients(c.length, c.keep, c.hasCls)).toBe(c.kept);
      const short = dctShorten(x, null, c.keep, c.hasCls);
      expect(short.shape).toEqual([1, c.kept + (c.hasCls ? 1 : 0), c.width]);
      expect(maxAbsDiff(short.dataSync(), c.shortened)).toBeLessThan(2e-5);
      expect(fourierTransformer.outputLength!(c.length, { layers: [0], keep: c.keep }, { layer: 0, hasCls: c.hasCls })).toBe(
        short.shape[1],
      );
      // Round trip: IDCT(DCT(x)) = x.
      const back = idct(coefficients, { axis: 1 });
      expect(maxAbsDiff(back.dataSync(), tokens.dataSync())).toBeLessThan(1e-5);
      tf.dispose([x, tokens, coefficients, short, back]);
    });
  }

  it('shortens only its layers; other layers are plain softmax attention with the same parameters', () => {
    const spec = fourierTransformer;
    expect(spec.outputLength!(65, spec.defaults, { layer: 0, hasCls: true })).toBe(14);
    expect(spec.outputLength!(65, spec.defaults, { layer: 0, hasCls: false })).toBe(13);
    expect(spec.outputLength!(14, spec.defaults, { layer: 1, hasCls: true })).toBe(14);
    expect(spec.outputLength!(4001, spec.defaults, { layer: 0, hasCls: true })).toBe(802);
    const n = 7;
    const values = seededUniform('ft-other', B * n * D);
    const x = tf.tensor3d(Float32Array.from(values), [B, n, D]);
    const later = build({}, n, true, 1);
    const plainStore = new ParamStore(41);
    const plain = attention.create(
      { dModel: D, heads: H, seqLen: n, dropout: 0, attentionDropout: 0, params: plainStore.scope('mixer'), layer: 1 },
      attention.defaults,
    );
    const a = later.mixer.apply(x, null, inferenceContext());
    const b = plain.apply(x, null, inferenceContext());
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(later.mixer.residual).toBeUndefined();
    tf.dispose([x, a, b]);
    later.store.dispose();
    plainStore.dispose();
  });

  for (const [n, hasCls, keep] of [
    [9, true, 0.4],
    [8, false, 0.5],
    [11, true, 0.2],
  ] as const) {
    it(`equals DCT shortening + exact attention (N ${n}, CLS ${hasCls}, keep ${keep}), padded tokens zeroed`, () => {
      const { store, mixer } = build({ keep }, n, hasCls);
      const values = seededUniform(`ft-${n}`, B * n * D, -1.5, 1.5);
      const mask = Float64Array.from({ length: B * n }, (_, i) => (i % n >= n - 2 && i < n ? 0 : 1));
      const y = tf.tidy(() =>
        mixer.apply(tf.tensor3d(Float32Array.from(values), [B, n, D]), tf.tensor2d(Float32Array.from(mask), [B, n]), inferenceContext()),
      );
      const expected = mixerReference(values, mask, readParams(store), n, keep, hasCls);
      const kept = Math.min(Math.ceil(keep * n), n - (hasCls ? 1 : 0));
      expect(y.shape).toEqual([B, kept + (hasCls ? 1 : 0), D]);
      expect(maxAbsDiff(y.dataSync(), expected)).toBeLessThan(2e-5);
      // What padded positions hold does not matter.
      const changed = Float64Array.from(values, (v, i) => (mask[Math.floor(i / D)] ? v : 30 + (i % 3)));
      const z = tf.tidy(() =>
        mixer.apply(tf.tensor3d(Float32Array.from(changed), [B, n, D]), tf.tensor2d(Float32Array.from(mask), [B, n]), inferenceContext()),
      );
      expect(maxAbsDiff(z.dataSync(), y.dataSync())).toBe(0);
      // residual() shortens the same way (the block hands it the normalised mixer input).
      expect(mixer.residualFromMixerInput).toBe(true);
      const r = tf.tidy(() => mixer.residual!(tf.tensor3d(Float32Array.from(values), [B, n, D])));
      expect(maxAbsDiff(r.dataSync(), shortenReference(values, null, n, keep, hasCls))).toBeLessThan(2e-5);
      tf.dispose([y, z, r]);
      store.dispose();
    });
  }

  it('takes LRA lengths (CLS included) and odd ones', () => {
    for (const n of [2, 5, 1025, 2001, 4001]) {
      const { store, mixer } = build({}, n, true);
      const y = tf.tidy(() => mixer.apply(tf.randomNormal([1, n, D], 0, 1, 'float32', 3) as tf.Tensor3D, null, inferenceContext()));
      expect(y.shape).toEqual([1, fourierTransformer.outputLength!(n, fourierTransformer.defaults, { layer: 0, hasCls: true }), D]);
      expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
      y.dispose();
      store.dispose();
    }
  });

  it('has gradients for the input and every projection that match finite differences', () => {
    const [n, keep, hasCls] = [7, 0.5, true];
    const { store, mixer } = build({ keep }, n, hasCls);
    const values = seededUniform('ft-g', B * n * D);
    const mask = Float64Array.from({ length: B * n }, (_, i) => (i === n - 1 ? 0 : 1));
    const outLength = Math.min(Math.ceil(keep * n), n - 1) + 1;
    const weights = seededUniform('ft-w', B * outLength * D);
    const lossOf = (y: Float64Array) => y.reduce((s, v, i) => s + v * weights[i]!, 0);
    const w = tf.tensor3d(Float32Array.from(weights), [B, outLength, D]);
    const x = tf.tensor3d(Float32Array.from(values), [B, n, D]);
    const m = tf.tensor2d(Float32Array.from(mask), [B, n]);
    const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(mixer.apply(input as tf.Tensor3D, m, inferenceContext()), w));
    assertGradcheck(loss, [x], { reference: (xs) => lossOf(mixerReference(xs, mask, readParams(store), n, keep, hasCls)) });
    const checked = expectParamGradients(store, () => loss(x), (params) => lossOf(mixerReference(values, mask, params, n, keep, hasCls)));
    expect(checked).toEqual(['mixer/query/kernel', 'mixer/key/kernel', 'mixer/value/kernel', 'mixer/output/kernel']);
    tf.dispose([w, x, m]);
    store.dispose();
  });

  it('runs in the classifier with a CLS token (shorter sequence after layer 0) and validates its options', () => {
    expect(getMixer('fourier-transformer')).toBe(fourierTransformer);
    const config = {
      vocabSize: 7, seqLen: 12, numClasses: 3, dModel: D, heads: H, layers: 2, mlpDim: 8, dropout: 0,
      attentionDropout: 0, pool: 'cls' as const, positions: 'learned' as const, mixer: 'fourier-transformer' as const,
      mixerOptions: { keep: 0.3 },
    };
    const model = createClassifier(config, 5);
    const tokens = tf.tensor2d([[1, 2, 3, 4, 5, 6, 1, 2, 0, 0, 0, 0]], [1, 12], 'int32');
    const logits = model.logits({ tokens }, inferenceContext());
    expect(logits.shape).toEqual([1, 3]);
    expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([tokens, logits]);
    model.dispose();
    const args = { dModel: D, heads: 3, seqLen: 9, dropout: 0, attentionDropout: 0, params: new ParamStore(1), layer: 0 };
    expect(fourierTransformer.validate!(args, fourierTransformer.defaults)).toBe('qkvDim 4 is not divisible by 3 heads');
    const ok = { ...args, heads: 2 };
    expect(fourierTransformer.validate!(ok, { layers: [0], keep: 0 })).toBe('keep must be in (0, 1], got 0');
    expect(fourierTransformer.validate!(ok, { layers: [-1], keep: 0.2 })).toBe('layers must hold block indices (integers >= 0), got [-1]');
  });

  it('trains: a few dozen steps lower the loss, without leaking tensors', () => {
    const result = trainsOnSyntheticTask('fourier-transformer', { keep: 0.5 }, { steps: 40, overrides: { pool: 'cls' } });
    expect(result.leaked).toBe(0);
    expect(result.lastLoss).toBeLessThan(result.firstLoss * 0.8);
  });
});
