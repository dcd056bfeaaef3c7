// Long convolutions: the FFT path against direct O(L^2) convolution in float64, the kernel's squash
// and smoothing against their formulas, and the layer against a numpy port of HazyResearch/safari's
// LongConv (scripts/fixtures/long_conv_reference.py).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { longConv, type LongConvOptions } from '../../src/mixers/long-conv.js';
import { movingAverage, squash } from '../../src/mixers/long-conv-kernel.js';
import { getMixer } from '../../src/mixers/registry.js';
import type { Mixer } from '../../src/mixers/types.js';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { tensorsLeaked } from './support/leaks.js';
import { trainsOnSyntheticTask } from './support/trains.js';
import { expectParamGradients, geluExact, maxAbsDiff, readParams } from './spectral-reference.js';

interface FixtureCase {
  options: { channels: number; bidirectional: boolean; lam: number; smoothingWindow: number | null };
  batch: number;
  length: number;
  dModel: number;
  params: Record<string, { shape: number[]; values: number[] }>;
  x: number[];
  mask: number[];
  y: number[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/mixers/long-conv-reference.json', import.meta.url), 'utf8')) as {
  cases: Record<string, FixtureCase>;
};

function build(options: Partial<LongConvOptions> = {}, seqLen = 7, dModel = 3) {
  const store = new ParamStore(17);
  const resolved: LongConvOptions = { ...longConv.defaults, ...options };
  const args = { dModel, heads: 1, seqLen, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0 };
  expect(longConv.validate!(args, resolved)).toBeNull();
  return { store, mixer: longConv.create(args, resolved) as Mixer, options: resolved };
}

/** The kernel [sets * C, H, L] as the mixer reads it (no dropout), in float64. */
function kernelOf(parameter: Float64Array, rows: number, lMax: number, length: number, options: LongConvOptions): Float64Array {
  const out = new Float64Array(rows * length);
  const window = options.smoothingWindow;
  for (let r = 0; r < rows; r++) {
    for (let l = 0; l < length; l++) {
      let v = parameter[r * lMax + l]!;
      if (window !== null) {
        v = 0;
        for (let j = l - (window - 1) / 2; j <= l + (window - 1) / 2; j++) if (j >= 0 && j < lMax) v += parameter[r * lMax + j]!;
        v /= window;
      }
      out[r * length + l] = Math.max(Math.abs(v) - options.lam, 0) * Math.sign(v);
    }
  }
  return out;
}

/**
 * The layer in float64 with DIRECT convolutions: y_(c,h),t = sum_{s <= t} k0[t - s] u_s
 * (+ sum_{s > t} k1[s - t - 1] u_s bidirectional) + D u_t, GELU, Linear, GLU.
 */
function reference(x: ArrayLike<number>, mask: ArrayLike<number> | null, params: Record<string, Float64Array>, options: LongConvOptions, batch: number, length: number, dModel: number, lMax = length): Float64Array {
  const p = (name: string) => params[`mixer/${name}`]!;
  const rows = options.channels * dModel;
  const sets = options.bidirectional ? 2 : 1;
  const k = kernelOf(p('kernel'), sets * rows, lMax, length, options);
  const out = new Float64Array(batch * length * dModel);
  for (let b = 0; b < batch; b++) {
    const u = (s: number, h: number) => x[(b * length + s) * dModel + h]! * (mask ? mask[b * length + s]! : 1);
    for (let t = 0; t < length; t++) {
      const act = new Float64Array(rows);
      for (let row = 0; row < rows; row++) {
        const h = row % dModel;
        let y = p('D')[row]! * u(t, h);
        for (let s = 0; s <= t; s++) y += k[row * length + t - s]! * u(s, h);
        if (options.bidirectional) for (let s = t + 1; s < length; s++) y += k[(rows + row) * length + s - t - 1]! * u(s, h);
        act[row] = geluExact(y);
      }
      for (let c = 0; c < dModel; c++) {
        let value = p('output/bias')[c]!;
        let gate = p('output/bias')[dModel + c]!;
        for (let row = 0; row < rows; row++) {
          value += act[row]! * p('output/kernel')[row * 2 * dModel + c]!;
          gate += act[row]! * p('output/kernel')[row * 2 * dModel + dModel + c]!;
        }
        out[(b * length + t) * dModel + c] = value / (1 + Math.exp(-gate));
      }
    }
  }
  return out;
}

function run(mixer: Mixer, values: ArrayLike<number>, mask: ArrayLike<number> | null, batch: number, length: number, dModel: number): Float32Array {
  return tf.tidy(() => {
    const m = mask ? tf.tensor2d(Float32Array.from(mask), [batch, length]) : null;
    return mixer.apply(tf.tensor3d(Float32Array.from(values), [batch, length, dModel]), m, inferenceContext()).dataSync() as Float32Array;
  });
}

/** Kernel entries drawn in [-0.8, 0.8], so that the squash (lam 0.1) keeps some and zeroes others. */
function assignKernel(store: ParamStore, tag: string): void {
  const variable = store.get('mixer/kernel');
  variable.assign(tf.tensor(Float32Array.from(seededUniform(tag, variable.size, -0.8, 0.8)), variable.shape));
}

describe('long-conv', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  for (const bidirectional of [false, true]) {
    it(`its FFT convolution equals direct O(L^2) convolution in float64 (${bidirectional ? 'two-sided' : 'causal'}, with a mask and smoothing)`, () => {
      const [batch, length, dModel] = [2, 9, 3];
      const { store, mixer, options } = build({ bidirectional, lam: 0.1, smoothingWindow: 3 }, length, dModel);
      assignKernel(store, `long-conv-k-${bidirectional}`);
      const values = seededUniform('long-conv-x', batch * length * dModel, -1.5, 1.5);
      const mask = Float64Array.from({ length: batch * length }, (_, i) => (i === length + 3 || i >= 2 * length - 2 ? 0 : 1));
      const expected = reference(values, mask, readParams(store), options, batch, length, dModel);
      expect(maxAbsDiff(run(mixer, values, mask, batch, length, dModel), expected)).toBeLessThan(2e-6);
      store.dispose();
    });
  }

  it('squashes the kernel by soft thresholding and smooths it by a zero-padded moving average', () => {
    const k = [0.5, -0.05, 0.2, -0.3, 0.01, 0];
    const squashed = tf.tidy(() => squash(tf.tensor1d(k), 0.1).dataSync());
    expect(maxAbsDiff(squashed, k.map((v) => Math.max(Math.abs(v) - 0.1, 0) * Math.sign(v)))).toBeLessThan(1e-7);
    const smoothed = tf.tidy(() => movingAverage(tf.tensor2d([k]), 3).dataSync());
    const padded = [0, ...k, 0];
    expect(maxAbsDiff(smoothed, k.map((_, i) => (padded[i]! + padded[i + 1]! + padded[i + 2]!) / 3))).toBeLessThan(1e-7);
  });

  for (const [name, entry] of Object.entries(fixture.cases)) {
    it(`matches the numpy port of safari's LongConv: ${name}`, () => {
      const { store, mixer } = build({ ...entry.options }, entry.length, entry.dModel);
      for (const [key, value] of Object.entries(entry.params)) {
        const variable = store.get(`mixer/${key}`);
        expect(variable.shape).toEqual(value.shape);
        variable.assign(tf.tensor(Float32Array.from(value.values), value.shape));
      }
      expect(store.variables().length).toBe(Object.keys(entry.params).length);
      expect(maxAbsDiff(run(mixer, entry.x, entry.mask, entry.batch, entry.length, entry.dModel), entry.y)).toBeLessThan(1e-5);
      store.dispose();
    });
  }

  it('has gradients for the input and every parameter that match finite differences of the float64 reference', () => {
    const [batch, length, dModel] = [2, 6, 2];
    const { store, mixer, options } = build({ bidirectional: true, lam: 0.1, smoothingWindow: 3 }, length, dModel);
    assignKernel(store, 'long-conv-grad-k');
    const values = seededUniform('long-conv-g', batch * length * dModel);
    const weights = seededUniform('long-conv-w', batch * length * dModel);
    const mask = Float64Array.from({ length: batch * length }, (_, i) => (i === 2 * length - 1 ? 0 : 1));
    const lossOf = (y: Float64Array) => y.reduce((s, v, i) => s + v * weights[i]!, 0);
    const w = tf.tensor3d(Float32Array.from(weights), [batch, length, dModel]);
    const x = tf.tensor3d(Float32Array.from(values), [batch, length, dModel]);
    const m = tf.tensor2d(Float32Array.from(mask), [batch, length]);
    const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(mixer.apply(input as tf.Tensor3D, m, inferenceContext()), w));
    assertGradcheck(loss, [x], { reference: (xs) => lossOf(reference(xs, mask, readParams(store), options, batch, length, dModel)), atol: 1e-4 });
    const checked = expectParamGradients(store, () => loss(x), (params) => lossOf(reference(values, mask, params, options, batch, length, dModel)), { atol: 1e-4 });
    expect(checked.sort()).toEqual(['mixer/D', 'mixer/kernel', 'mixer/output/bias', 'mixer/output/kernel']);
    tf.dispose([w, x, m]);
    store.dispose();
  });

  it('takes shorter inputs (the kernel prefix), checks its mask, and exempts only the kernel from weight decay', () => {
    const { store, mixer, options } = build({ lam: 0.1 }, 9, 3);
    assignKernel(store, 'long-conv-short');
    const values = seededUniform('long-conv-s', 2 * 5 * 3);
    expect(maxAbsDiff(run(mixer, values, null, 2, 5, 3), reference(values, null, readParams(store), options, 2, 5, 3, 9))).toBeLessThan(2e-6);
    expect(() => mixer.apply(tf.zeros([1, 10, 3]), null, inferenceContext())).toThrow('exceeds the length 9');
    expect(() => mixer.apply(tf.zeros([2, 9, 3]), tf.ones([2, 8]), inferenceContext())).toThrow('long-conv: mask shape [2,8] does not match input [2, 9]');
    expect(store.variables().filter((p) => !p.decay).map((p) => [p.name, p.lr, p.variable.shape])).toEqual([['mixer/kernel', 5e-4, [2, 3, 9]]]);
    store.dispose();
    expect(getMixer('long-conv')).toBe(longConv);
    const args = { dModel: 3, heads: 1, seqLen: 9, dropout: 0, attentionDropout: 0, params: new ParamStore(1), layer: 0 };
    expect(longConv.validate!(args, { ...longConv.defaults, smoothingWindow: 4 })).toMatch(/odd positive integer/);
    expect(longConv.defaults).toEqual({ channels: 2, bidirectional: false, lam: 0.002, kernelDropout: 0.2, kernelLr: 5e-4, smoothingWindow: null, weightInit: 'random', clsPosition: 'last' });
  });

  it('lets a CLS token in front read the whole sequence (moved last while it runs), unless told otherwise', () => {
    const [batch, length, dModel] = [2, 6, 3];
    const values = seededUniform('long-conv-cls', batch * length * dModel);
    const changed = Float64Array.from(values, (v, i) => (i % (length * dModel) >= dModel ? v + 0.5 : v));
    const cls = (y: Float32Array) => y.filter((_, i) => i % (length * dModel) < dModel);
    for (const clsPosition of ['last', 'first'] as const) {
      const store = new ParamStore(8);
      const args = { dModel, heads: 1, seqLen: length, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0, hasCls: true };
      const options = { ...longConv.defaults, lam: 0.1, clsPosition };
      const mixer = longConv.create(args, options);
      assignKernel(store, 'long-conv-cls-k');
      // Moved last: the mixer equals the causal layer on the rotated sequence, rotated back.
      const rotate = (v: ArrayLike<number>, forward: boolean) => {
        const out = new Float64Array(v.length);
        for (let b = 0; b < batch; b++) {
          for (let t = 0; t < length; t++) {
            const to = forward ? (t + length - 1) % length : (t + 1) % length;
            for (let c = 0; c < dModel; c++) out[(b * length + to) * dModel + c] = v[(b * length + t) * dModel + c]!;
          }
        }
        return out;
      };
      const params = readParams(store);
      const expected =
        clsPosition === 'last'
          ? rotate(reference(rotate(values, true), null, params, options, batch, length, dModel), false)
          : reference(values, null, params, options, batch, length, dModel);
      expect(maxAbsDiff(run(mixer, values, null, batch, length, dModel), expected)).toBeLessThan(2e-6);
      const moved = maxAbsDiff(cls(run(mixer, changed, null, batch, length, dModel)), cls(run(mixer, values, null, batch, length, dModel)));
      if (clsPosition === 'last') expect(moved).toBeGreaterThan(1e-3);
      else expect(moved).toBeLessThan(1e-6);
      store.dispose();
    }
  });

  it('shows each (channel, feature) kernel with D at lag 0, two-sided when bidirectional', () => {
    const { store, mixer } = build({ bidirectional: true, lam: 0 }, 5, 2);
    const view = mixer.inspect!(tf.zeros([1, 5, 2]), null, inferenceContext()).impulseResponses![0]!;
    expect([view.channels, view.firstOffset, view.length]).toEqual([4, -4, 9]);
    const k = store.get('mixer/kernel').dataSync(); // [2 * 2, 2, 5]
    const d = store.get('mixer/D').dataSync();
    // Row 3 (channel 1, feature 1): lag 0 = k0 + D, lag 2 = k0[2], offset -1 = k1[0].
    expect(view.values[3 * 9 + 4]).toBeCloseTo(k[3 * 5]! + d[3]!, 6);
    expect(view.values[3 * 9 + 6]).toBeCloseTo(k[3 * 5 + 2]!, 6);
    expect(view.values[3 * 9 + 3]).toBeCloseTo(k[(4 + 3) * 5]!, 6);
    store.dispose();
  });

  it('leaves no tensors behind, with kernel dropout and dropout in training', () => {
    const store = new ParamStore(4);
    const mixer = longConv.create(
      { dModel: 3, heads: 1, seqLen: 8, dropout: 0.1, attentionDropout: 0, params: store.scope('mixer'), layer: 0 },
      { ...longConv.defaults, bidirectional: true, smoothingWindow: 3 },
    );
    const x = tf.randomNormal([2, 8, 3], 0, 1, 'float32', 5) as tf.Tensor3D;
    const mask = tf.tensor2d(Float32Array.from({ length: 16 }, (_, i) => (i > 13 ? 0 : 1)), [2, 8]);
    expect(tensorsLeaked(mixer, x, mask, { context: (step) => trainingContext(1, step), rounds: 2, shortInput: 5 })).toBe(0);
    tf.dispose([x, mask]);
    store.dispose();
  });

  it('trains: a few dozen steps lower the loss on a synthetic task', () => {
    // Two-sided: mean pooling then reads every position's whole context.
    const result = trainsOnSyntheticTask('long-conv', { bidirectional: true }, { steps: 40 });
    expect(result.leaked).toBe(0);
    expect(result.lastLoss).toBeLessThan(result.firstLoss * 0.8);
  });
});
