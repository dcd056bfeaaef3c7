// FFTNet's later modules as their code runs them (impl 'reference': own pre-norm, 2x + y) and the
// Haar-wavelet gated variant of the last LRA module, against a numpy port
// (scripts/fixtures/fftnet_reference.py).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { createClassifier } from '../../src/encoder/classifier.js';
import { fftnet, type FftnetOptions } from '../../src/mixers/fftnet.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { tinyConfig } from '../encoder/fixtures.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { fftnetReference } from './fftnet-reference.js';
import { expectParamGradients, geluExact, layerNormRows, maxAbsDiff, readParams } from './spectral-reference.js';

interface ModuleCase {
  variant: FftnetOptions['variant'];
  batch: number;
  length: number;
  width: number;
  heads: number;
  params: Record<string, { shape: number[]; values: number[] }>;
  x: number[];
  out: number[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/mixers/fftnet-reference.json', import.meta.url), 'utf8')) as {
  cases: ModuleCase[];
};

function build(c: ModuleCase, impl: FftnetOptions['impl']) {
  const store = new ParamStore(4);
  const options: FftnetOptions = { ...fftnet.defaults, variant: c.variant, impl };
  const args = { dModel: c.width, heads: c.heads, seqLen: c.length, dropout: 0.1, attentionDropout: 0, params: store.scope('mixer'), layer: 0 };
  expect(fftnet.validate!(args, options)).toBeNull();
  const mixer = fftnet.create(args, options);
  for (const [name, entry] of Object.entries(c.params)) {
    if (name.startsWith('preNorm/') && impl === 'clean') continue;
    const variable = store.get(`mixer/${name}`);
    expect(variable.shape, name).toEqual(name === 'waveletGate' ? [1] : entry.shape);
    variable.assign(tf.tensor(Float32Array.from(entry.values), variable.shape));
  }
  return { store, mixer };
}

/** One Haar level with GELU on both bands, in float64, of x [B, n, D] with padded positions zeroed. */
function haarReference(x: ArrayLike<number>, mask: ArrayLike<number> | null, batch: number, n: number, width: number): Float64Array {
  const out = new Float64Array(batch * n * width);
  const value = (b: number, t: number, c: number) => x[(b * n + t) * width + c]! * (mask ? mask[b * n + t]! : 1);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t + 1 < n; t += 2) {
      for (let c = 0; c < width; c++) {
        const approx = geluExact((value(b, t, c) + value(b, t + 1, c)) / 2);
        const detail = geluExact((value(b, t, c) - value(b, t + 1, c)) / 2);
        out[(b * n + t) * width + c] = approx + detail;
        out[(b * n + t + 1) * width + c] = approx - detail;
      }
    }
  }
  return out;
}

/** The mixer in float64: the dcb3104 path of fftnetReference, the wavelet blend, impl 'reference''s 2x + y. */
function mixerReference(
  x: ArrayLike<number>,
  mask: ArrayLike<number> | null,
  params: Record<string, Float64Array>,
  options: FftnetOptions,
  shape: { batch: number; length: number; dModel: number; heads: number },
): Float64Array {
  const reference = options.impl === 'reference';
  const input = reference ? layerNormRows(x, shape.dModel, 1e-5, params['mixer/preNorm/scale']!, params['mixer/preNorm/bias']!) : Float64Array.from(x);
  let y = fftnetReference(input, mask, params, options, { ...shape, seqLen: shape.length });
  if (options.variant === 'wavelet-3960455') {
    const alpha = 1 / (1 + Math.exp(-params['mixer/waveletGate']![0]!));
    const local = haarReference(input, mask, shape.batch, shape.length, shape.dModel);
    y = y.map((v, i) => alpha * local[i]! + (1 - alpha) * v);
  }
  return reference ? y.map((v, i) => 2 * x[i]! + v) : y;
}

describe('fftnet: the authors\' residual (impl reference) and the wavelet variant', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  for (const c of fixture.cases) {
    it(`impl reference gives 2x + y as the authors' block and module do (${c.variant}, N ${c.length})`, () => {
      const { store, mixer } = build(c, 'reference');
      expect(mixer.ownsResidual).toBe(true);
      expect(store.variables().map((p) => p.name).sort()).toEqual(Object.keys(c.params).map((k) => `mixer/${k}`).sort());
      const x = tf.tensor3d(Float32Array.from(c.x), [c.batch, c.length, c.width]);
      const out = mixer.apply(x, null, inferenceContext());
      expect(maxAbsDiff(out.dataSync(), c.out)).toBeLessThan(1e-4);
      tf.dispose([x, out]);
      store.dispose();
    });

    it(`impl clean mixes the normalised input the same way, without the doubled residual (${c.variant}, N ${c.length})`, () => {
      const { store, mixer } = build(c, 'clean');
      expect(mixer.ownsResidual).toBe(false);
      const scale = tf.tensor1d(Float32Array.from(c.params['preNorm/scale']!.values));
      const bias = tf.tensor1d(Float32Array.from(c.params['preNorm/bias']!.values));
      const x = tf.tensor3d(Float32Array.from(c.x), [c.batch, c.length, c.width]);
      const normed = tf.tidy(() => {
        const { mean, variance } = tf.moments(x, -1, true);
        return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), scale), bias) as tf.Tensor3D;
      });
      const y = mixer.apply(normed, null, inferenceContext());
      const expected = Float64Array.from(c.out, (v, i) => v - 2 * c.x[i]!);
      expect(maxAbsDiff(y.dataSync(), expected)).toBeLessThan(1e-4);
      tf.dispose([scale, bias, x, normed, y]);
      store.dispose();
    });
  }

  const gradientCases: Array<Pick<FftnetOptions, 'variant' | 'impl'>> = [
    { variant: 'wavelet-3960455', impl: 'clean' },
    { variant: 'wavelet-3960455', impl: 'reference' },
    { variant: 'gelu-dcb3104', impl: 'reference' },
  ];
  for (const chosen of gradientCases) {
    it(`has gradients for the input and every parameter that match finite differences (${chosen.variant}, impl ${chosen.impl})`, () => {
      const [B, n, D, H] = [2, 7, 4, 2];
      const store = new ParamStore(9);
      const options: FftnetOptions = { ...fftnet.defaults, ...chosen };
      const mixer = fftnet.create({ dModel: D, heads: H, seqLen: n, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0 }, options);
      // Off their initial values, so that a missing gradient path shows.
      for (const { name, variable } of store.variables()) {
        variable.assign(tf.add(variable, tf.tensor(Float32Array.from(seededUniform(`fftnet-g-${name}`, variable.size, -0.3, 0.3)), variable.shape)));
      }
      const weights = seededUniform('fftnet-impl-w', B * n * D);
      const values = seededUniform('fftnet-impl-x', B * n * D, -1.5, 1.5);
      const mask = Float32Array.from({ length: B * n }, (_, i) => (i >= n + 5 ? 0 : 1));
      const shape = { batch: B, length: n, dModel: D, heads: H };
      const lossOf = (y: Float64Array) => y.reduce((sum, v, i) => sum + v * weights[i]!, 0);
      const w = tf.tensor3d(Float32Array.from(weights), [B, n, D]);
      const x = tf.tensor3d(Float32Array.from(values), [B, n, D]);
      const m = tf.tensor2d(mask, [B, n]);
      const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(mixer.apply(input as tf.Tensor3D, m, inferenceContext()), w));
      const y = mixer.apply(x, m, inferenceContext());
      expect(maxAbsDiff(y.dataSync(), mixerReference(values, mask, readParams(store), options, shape))).toBeLessThan(5e-5);
      assertGradcheck(loss, [x], { reference: (xs) => lossOf(mixerReference(xs, mask, readParams(store), options, shape)), atol: 2e-4, rtol: 2e-3 });
      const checked = expectParamGradients(store, () => loss(x), (params) => lossOf(mixerReference(values, mask, params, options, shape)), {
        atol: 2e-4,
        rtol: 2e-3,
      });
      expect(checked.length).toBe(store.variables().length);
      tf.dispose([w, x, m, y]);
      store.dispose();
    });
  }

  it('a reference block has no LayerNorm of its own before the mixer, and no reversible form', () => {
    const config = tinyConfig({ mixer: 'fftnet', mixerOptions: { variant: 'wavelet-3960455', impl: 'reference' } });
    const model = createClassifier(config, 2);
    const names = model.params.variables().map((p) => p.name);
    expect(names).toContain('layer0/mixer/preNorm/scale');
    expect(names).not.toContain('layer0/mixerNorm/scale');
    model.dispose();
    expect(() => createClassifier({ ...config, reversible: true }, 2)).toThrow(/owns its residual/);
  });
});
