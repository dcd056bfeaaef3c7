// GFNet's own form (impl 'reference', grid): the 2-D global filter against numpy's rfft2/irfft2
// (scripts/fixtures/gfnet_reference.py), GFNet's block x + MLP(LN2(filter(LN1(x)))) and its
// initialisation.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { encoderBlock } from '../../src/encoder/block.js';
import { classifierConfigProblems } from '../../src/encoder/config.js';
import { createClassifier } from '../../src/encoder/classifier.js';
import { gfnet, type GfnetOptions } from '../../src/mixers/gfnet.js';
import { gelu } from '../../src/nn/activations.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { seededUniform } from '../support/random.js';
import { tinyConfig } from '../encoder/fixtures.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { denseIrfft, denseRfft, expectParamGradients, maxAbsDiff, readParams } from './spectral-reference.js';

interface FilterCase {
  batch: number;
  length: number;
  width: number;
  heads: number;
  channels: GfnetOptions['channels'];
  grid: number[];
  x: number[];
  real: number[];
  imag: number[];
  y: number[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/mixers/gfnet-reference.json', import.meta.url), 'utf8')) as {
  cases: FilterCase[];
};

const EPS = 1e-6;

/** Complex DFT (inverse: IDFT), norm 'ortho', of n values. */
function denseDft(re: Float64Array, im: Float64Array, inverse: boolean): { re: Float64Array; im: Float64Array } {
  const n = re.length;
  const out = { re: new Float64Array(n), im: new Float64Array(n) };
  for (let k = 0; k < n; k++) {
    for (let t = 0; t < n; t++) {
      const angle = ((inverse ? 2 : -2) * Math.PI * k * t) / n;
      out.re[k]! += (re[t]! * Math.cos(angle) - im[t]! * Math.sin(angle)) / Math.sqrt(n);
      out.im[k]! += (re[t]! * Math.sin(angle) + im[t]! * Math.cos(angle)) / Math.sqrt(n);
    }
  }
  return out;
}

/**
 * The 2-D global filter in float64 from DFT sums: x [B, rows * cols, D] (row-major grid), filter
 * parts [rows, cols/2 + 1, D] (channels 'model'): rfft along each row, DFT down each column,
 * times the filter, IDFT down each column, irfft along each row.
 */
function gridReference(x: ArrayLike<number>, params: Record<string, Float64Array>, batch: number, rows: number, cols: number, width: number): Float64Array {
  const bins = Math.floor(cols / 2) + 1;
  const real = params['mixer/filter/real']!;
  const imag = params['mixer/filter/imag']!;
  const out = new Float64Array(batch * rows * cols * width);
  const at = (b: number, r: number, c: number, ch: number) => ((b * rows + r) * cols + c) * width + ch;
  for (let b = 0; b < batch; b++) {
    for (let ch = 0; ch < width; ch++) {
      // [rows][bins] half spectra of the rows.
      const spectra = Array.from({ length: rows }, (_, r) => denseRfft(Array.from({ length: cols }, (_, c) => x[at(b, r, c, ch)]!), 'ortho'));
      const filtered = Array.from({ length: rows }, () => ({ re: new Float64Array(bins), im: new Float64Array(bins) }));
      for (let k = 0; k < bins; k++) {
        const down = denseDft(Float64Array.from(spectra, (s) => s.re[k]!), Float64Array.from(spectra, (s) => s.im[k]!), false);
        for (let r = 0; r < rows; r++) {
          const f = (r * bins + k) * width + ch;
          const [zr, zi] = [down.re[r]! * real[f]! - down.im[r]! * imag[f]!, down.re[r]! * imag[f]! + down.im[r]! * real[f]!];
          down.re[r] = zr;
          down.im[r] = zi;
        }
        const back = denseDft(down.re, down.im, true);
        for (let r = 0; r < rows; r++) {
          filtered[r]!.re[k] = back.re[r]!;
          filtered[r]!.im[k] = back.im[r]!;
        }
      }
      for (let r = 0; r < rows; r++) {
        const row = denseIrfft(filtered[r]!.re, filtered[r]!.im, cols, 'ortho');
        for (let c = 0; c < cols; c++) out[at(b, r, c, ch)] = row[c]!;
      }
    }
  }
  return out;
}

function std(values: Float32Array, around = 0): number {
  return Math.sqrt(values.reduce((a, v) => a + (v - around) ** 2, 0) / values.length);
}

function mixerArgs(store: ParamStore, seqLen: number, dModel: number, heads: number) {
  return { dModel, heads, seqLen, dropout: 0.2, attentionDropout: 0, params: store.scope('mixer'), layer: 0 };
}

describe('gfnet: the 2-D grid and the reference block', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  for (const c of fixture.cases) {
    const label = c.grid.length ? `grid ${c.grid.join(' x ')}` : `along ${c.length} tokens`;
    it(`filters as numpy's rfft2 / irfft2 do (${label}, channels ${c.channels})`, () => {
      const store = new ParamStore(1);
      const options: GfnetOptions = { ...gfnet.defaults, channels: c.channels, grid: c.grid, impl: 'reference' };
      const args = mixerArgs(store, c.length, c.width, c.heads);
      expect(gfnet.validate!(args, options)).toBeNull();
      const mixer = gfnet.create(args, options);
      const real = store.get('mixer/filter/real');
      const imag = store.get('mixer/filter/imag');
      expect(real.size).toBe(c.real.length);
      real.assign(tf.tensor(Float32Array.from(c.real), real.shape));
      imag.assign(tf.tensor(Float32Array.from(c.imag), imag.shape));
      const x = tf.tensor3d(Float32Array.from(c.x), [c.batch, c.length, c.width]);
      const y = mixer.apply(x, null, inferenceContext());
      expect(maxAbsDiff(y.dataSync(), c.y)).toBeLessThan(1e-4);
      tf.dispose([x, y]);
      store.dispose();
    });
  }

  it('has gradients for the input and both 2-D filter parts that match finite differences', () => {
    for (const [rows, cols] of [[3, 4], [2, 5]] as const) {
      const [B, D] = [2, 3];
      const n = rows * cols;
      const store = new ParamStore(12);
      const mixer = gfnet.create(mixerArgs(store, n, D, 1), { ...gfnet.defaults, impl: 'reference', initNoise: 0.5, grid: [rows, cols] });
      const weights = seededUniform(`gfnet-grid-w-${cols}`, B * n * D);
      const values = seededUniform(`gfnet-grid-x-${cols}`, B * n * D);
      const lossOf = (y: Float64Array) => y.reduce((sum, v, i) => sum + v * weights[i]!, 0);
      const w = tf.tensor3d(Float32Array.from(weights), [B, n, D]);
      const x = tf.tensor3d(Float32Array.from(values), [B, n, D]);
      const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(mixer.apply(input as tf.Tensor3D, null, inferenceContext()), w));
      // The reference itself first: the same values as the mixer.
      const y = mixer.apply(x, null, inferenceContext());
      expect(maxAbsDiff(y.dataSync(), gridReference(values, readParams(store), B, rows, cols, D))).toBeLessThan(1e-5);
      assertGradcheck(loss, [x], { reference: (xs) => lossOf(gridReference(xs, readParams(store), B, rows, cols, D)) });
      const checked = expectParamGradients(store, () => loss(x), (params) => lossOf(gridReference(values, params, B, rows, cols, D)));
      expect(checked).toEqual(['mixer/filter/real', 'mixer/filter/imag']);
      tf.dispose([w, x, y]);
      store.dispose();
    }
  });

  it('refuses a grid that does not hold the sequence, and a CLS token', () => {
    const store = new ParamStore(1);
    const options: GfnetOptions = { ...gfnet.defaults, grid: [4, 4] };
    expect(gfnet.validate!(mixerArgs(store, 16, 4, 2), options)).toBeNull();
    expect(gfnet.validate!(mixerArgs(store, 15, 4, 2), options)).toMatch(/holds 16 tokens, but the sequence has 15/);
    expect(gfnet.validate!({ ...mixerArgs(store, 17, 4, 2), hasCls: true }, options)).toMatch(/CLS token .* pool 'mean'/);
    expect(gfnet.validate!(mixerArgs(store, 16, 4, 2), { ...options, grid: [16] })).toMatch(/grid must be/);
    expect(classifierConfigProblems(tinyConfig({ mixer: 'gfnet', seqLen: 16, pool: 'cls', mixerOptions: { grid: [4, 4] } })).join()).toMatch(/CLS/);
    expect(classifierConfigProblems(tinyConfig({ mixer: 'gfnet', seqLen: 16, pool: 'mean', mixerOptions: { grid: [4, 4] } }))).toEqual([]);
  });

  it("impl 'reference' blocks compute x + FF(LN2(filter(LN1(x)))), no residual around the filter and no dropout after it", () => {
    const [B, N, D, MLP] = [2, 12, 4, 8];
    const store = new ParamStore(6);
    const mixer = gfnet.create(mixerArgs(store, N, D, 2), { ...gfnet.defaults, impl: 'reference', grid: [3, 4] });
    const block = encoderBlock(store, mixer, { style: 'pre-ln', dModel: D, mlpDim: MLP, dropout: 0, layerNormEps: EPS });
    // Move the norms off ones and zeros so that a skipped or misplaced one shows.
    for (const name of ['mixerNorm/scale', 'mixerNorm/bias', 'feedForwardNorm/scale', 'feedForwardNorm/bias']) {
      const v = store.get(name);
      v.assign(tf.tensor(Float32Array.from(seededUniform(`gfnet-${name}`, v.size, 0.5, 1.5)), v.shape));
    }
    const x = tf.tensor3d(Float32Array.from(seededUniform('gfnet-block-x', B * N * D)), [B, N, D]);
    const ln = (name: string, t: tf.Tensor) => {
      const { mean, variance } = tf.moments(t, -1, true);
      return tf.add(tf.mul(tf.mul(tf.sub(t, mean), tf.rsqrt(tf.add(variance, EPS))), store.get(`${name}/scale`)), store.get(`${name}/bias`));
    };
    const dense = (name: string, t: tf.Tensor) => {
      const kernel = store.get(`feedForward/${name}/kernel`);
      return tf.reshape(tf.add(tf.matMul(tf.reshape(t, [-1, kernel.shape[0]!]) as tf.Tensor2D, kernel), store.get(`feedForward/${name}/bias`)), [B, N, kernel.shape[1]!]);
    };
    const out = block.apply(x, null, inferenceContext());
    const expected = tf.tidy(() => {
      const filtered = mixer.apply(ln('mixerNorm', x) as tf.Tensor3D, null, inferenceContext());
      return tf.add(x, dense('contract', gelu(dense('expand', ln('feedForwardNorm', filtered)))));
    });
    expect(maxAbsDiff(out.dataSync(), expected.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, out, expected]);
    store.dispose();
  });

  it("impl 'reference' initialises as GFNet: filter 0.02 randn in both parts, MLP kernels normal(0.02), zero biases", () => {
    const model = createClassifier(
      tinyConfig({ mixer: 'gfnet', seqLen: 256, dModel: 64, mlpDim: 128, layers: 1, pool: 'mean', mixerOptions: { impl: 'reference', grid: [16, 16] } }),
      4,
    );
    const values = (name: string) => model.params.get(name).dataSync() as Float32Array;
    expect(model.params.get('layer0/mixer/filter/real').shape).toEqual([16, 9, 64]);
    for (const name of ['layer0/mixer/filter/real', 'layer0/mixer/filter/imag']) expect(Math.abs(std(values(name)) / 0.02 - 1)).toBeLessThan(0.05);
    for (const name of ['layer0/feedForward/expand/kernel', 'layer0/feedForward/contract/kernel']) {
      expect(Math.abs(std(values(name)) / 0.02 - 1)).toBeLessThan(0.05);
    }
    for (const name of ['layer0/feedForward/expand/bias', 'layer0/feedForward/contract/bias']) expect(values(name).every((v) => v === 0)).toBe(true);
    model.dispose();
    // The clean filter starts at the identity.
    const clean = createClassifier(tinyConfig({ mixer: 'gfnet', seqLen: 64, dModel: 64, layers: 1 }), 4);
    expect(Math.abs(std(clean.params.get('layer0/mixer/filter/real').dataSync() as Float32Array, 1) / 0.02 - 1)).toBeLessThan(0.05);
    clean.dispose();
  });

  it("impl 'reference' needs pre-LN blocks without reversible streams", () => {
    const base = { mixer: 'gfnet' as const, mixerOptions: { impl: 'reference' } };
    expect(() => createClassifier(tinyConfig({ ...base, block: 'post-ln' }), 1)).toThrow(/needs pre-ln blocks/);
    expect(() => createClassifier(tinyConfig({ ...base, reversible: true }), 1)).toThrow(/reversible blocks need a residual around the mixer/);
  });
});
