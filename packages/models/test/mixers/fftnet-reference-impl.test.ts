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
import { maxAbsDiff } from './spectral-reference.js';

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
