// Mega: its EMA against the recurrence it stands for, its attention's chunks and laplace
// function against their definitions, and the whole layer (mixer, then the encoder block's
// feed-forward half) against a numpy port of facebookresearch/mega (scripts/fixtures/mega_reference.py).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { encoderBlock } from '../../src/encoder/block.js';
import { mega, type MegaOptions } from '../../src/mixers/mega.js';
import { LAPLACE_MU, LAPLACE_SIGMA, laplace, megaAttention } from '../../src/mixers/mega-attention.js';
import { megaEmaConvolution, megaEmaKernel, type MegaEmaParams } from '../../src/mixers/mega-ema.js';
import { relativePositionBias } from '../../src/mixers/mega-positions.js';
import { getMixer } from '../../src/mixers/registry.js';
import type { BlockStyle, Mixer } from '../../src/mixers/types.js';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { tensorsLeaked } from './support/leaks.js';
import { paramGradcheck } from './support/param-gradcheck.js';
import { trainsOnSyntheticTask } from './support/trains.js';

interface FixtureCase {
  options: Partial<MegaOptions>;
  blockStyle: BlockStyle;
  emaDim: number;
  mlpDim: number;
  batch: number;
  length: number;
  dModel: number;
  params: Record<string, { shape: number[]; values: number[] }>;
  x: number[];
  mask: number[];
  mixer: number[];
  layer: number[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/mixers/mega-reference.json', import.meta.url), 'utf8')) as {
  cases: Record<string, FixtureCase>;
};

const SMALL: Partial<MegaOptions> = { zDim: 4, hiddenDim: 6, emaDim: 3, truncation: null };

function build(options: Partial<MegaOptions> = {}, seqLen = 8, dModel = 4, blockStyle?: BlockStyle) {
  const store = new ParamStore(5);
  const resolved: MegaOptions = { ...mega.defaults, ...SMALL, ...options };
  const args = {
    dModel,
    heads: 1,
    seqLen,
    dropout: 0,
    attentionDropout: 0,
    params: store.scope('mixer'),
    layer: 0,
    ...(blockStyle ? { blockStyle } : {}),
  };
  expect(mega.validate!(args, resolved)).toBeNull();
  return { store, mixer: mega.create(args, resolved) as Mixer, options: resolved };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * The EMA as its recurrence, in float64, one channel at a time: h_t = a u_t + (1 - a d) h_{t-1}
 * with a = sigmoid(delta), d = sigmoid(alpha), u = beta x; y_t = sum_n sqrt(1/ndim) gamma_n h_t,n.
 * Bidirectional: the second half of the rows runs the same recurrence from the end, and the two
 * add. Kernel truncation is ignored (the full recurrence).
 */
function emaRecurrence(params: Record<string, Float64Array>, x: Float64Array, channels: number, length: number, ndim: number, bidirectional: boolean): Float64Array {
  const out = new Float64Array(channels * length);
  const run = (row: number, channel: number, backwards: boolean) => {
    const state = new Float64Array(ndim);
    for (let step = 0; step < length; step++) {
      const t = backwards ? length - 1 - step : step;
      let y = 0;
      for (let n = 0; n < ndim; n++) {
        const i = row * ndim + n;
        const a = sigmoid(params.delta![i]!);
        const d = sigmoid(params.alpha![i]!);
        state[n] = a * params.beta![i]! * x[channel * length + t]! + (1 - a * d) * state[n]!;
        y += Math.sqrt(1 / ndim) * params.gamma![i]! * state[n]!;
      }
      out[channel * length + t]! += y;
    }
  };
  for (let c = 0; c < channels; c++) {
    run(c, c, false);
    if (bidirectional) run(channels + c, c, true);
  }
  return out;
}

describe('mega', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  for (const bidirectional of [false, true]) {
    it(`its EMA's FFT convolution equals the damped EMA recurrence run step by step in float64 (${bidirectional ? 'both directions' : 'one direction'})`, () => {
      const channels = 3;
      const ndim = 4;
      const length = 11;
      const rows = bidirectional ? 2 * channels : channels;
      const draw = (name: string, low = -1.5, high = 1.5) => seededUniform(`mega-ema-${name}`, rows * ndim, low, high);
      const params = { delta: draw('delta'), alpha: draw('alpha'), beta: draw('beta'), gamma: draw('gamma') };
      const x = seededUniform('mega-ema-x', channels * length);
      const y = tf.tidy(() => {
        const p: MegaEmaParams = {
          delta: tf.tensor2d(Float32Array.from(params.delta), [rows, ndim]),
          alpha: tf.tensor2d(Float32Array.from(params.alpha), [rows, ndim]),
          beta: tf.tensor2d(Float32Array.from(params.beta), [rows, ndim]),
          gamma: tf.tensor2d(Float32Array.from(params.gamma), [rows, ndim]),
          omega: tf.zeros([channels]),
        };
        const u = tf.tensor3d(Float32Array.from(x), [1, channels, length]);
        return megaEmaConvolution(megaEmaKernel(p, length), u, bidirectional).dataSync() as Float32Array;
      });
      expect(maxAbsDiff(y, emaRecurrence(params, x, channels, length, ndim, bidirectional))).toBeLessThan(2e-6);
    });
  }

  it('its laplace attention function is 0.5 (1 + erf((x - mu) / (sigma sqrt 2))) with mu = sqrt(1/2), sigma = sqrt(1/(4 pi))', () => {
    expect(LAPLACE_MU).toBeCloseTo(Math.SQRT1_2, 6);
    expect(LAPLACE_SIGMA).toBeCloseTo(Math.sqrt(1 / (4 * Math.PI)), 6);
    // erf by its Maclaurin series (exact to double precision for |z| < 3 with 60 terms).
    const erf = (z: number) => {
      let term = z;
      let sum = z;
      for (let n = 1; n < 60; n++) {
        term *= (-z * z) / n;
        sum += term / (2 * n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    const xs = Array.from({ length: 21 }, (_, i) => -0.2 + 0.1 * i);
    const got = tf.tidy(() => laplace(tf.tensor1d(xs)).dataSync());
    expect(maxAbsDiff(got, xs.map((v) => 0.5 * (1 + erf((v - LAPLACE_MU) / (LAPLACE_SIGMA * Math.SQRT2)))))).toBeLessThan(1e-6);
  });

  it("builds the simple relative bias as bias[i][j] = b[M - 1 + j - i] at every chunk length, with a cheap gradient", () => {
    const store = new ParamStore(6);
    const positions = relativePositionBias(store.scope('positions'), 'simple', 4, 7);
    const b = store.get('positions/bias').dataSync();
    for (const length of [1, 2, 5, 7]) {
      const bias = tf.tidy(() => positions.bias(length).arraySync());
      for (let i = 0; i < length; i++) for (let j = 0; j < length; j++) expect(bias[i]![j]).toBe(b[6 + j - i]);
    }
    expect(() => tf.tidy(() => positions.bias(8))).toThrow('exceeds the 7');
    store.dispose();
    // At 1024 positions its gradient takes well under a second (the reference's tile trick: 10 s).
    const long = new ParamStore(6);
    const wide = relativePositionBias(long.scope('positions'), 'simple', 4, 1024);
    const started = performance.now();
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(wide.bias(1024))));
    tf.dispose([value, grads]);
    expect(performance.now() - started).toBeLessThan(5000);
    long.dispose();
  });

  for (const activation of ['softmax', 'laplace'] as const) {
    it(`chunked ${activation} attention equals attention restricted to each chunk (a ragged tail padded and masked)`, () => {
      const store = new ParamStore(3);
      const positions = relativePositionBias(store.scope('positions'), 'simple', 4, 5);
      const [batch, length, zDim, width, chunk] = [2, 11, 4, 3, 5];
      const mask = Float32Array.from({ length: batch * length }, (_, i) => (i === length + 2 || i === length + 7 ? 0 : 1));
      const pieces = tf.tidy(() => {
        const q = tf.tensor3d(Float32Array.from(seededUniform('mega-q', batch * length * zDim)), [batch, length, zDim]);
        const k = tf.tensor3d(Float32Array.from(seededUniform('mega-k', batch * length * zDim)), [batch, length, zDim]);
        const v = tf.tensor3d(Float32Array.from(seededUniform('mega-v', batch * length * width)), [batch, length, width]);
        const m = tf.tensor2d(mask, [batch, length]);
        const options = { chunkSize: chunk, activation, positions, attentionDropout: 0 };
        const chunked = megaAttention(q, k, v, m, options, inferenceContext());
        const parts: tf.Tensor[] = [];
        for (let start = 0; start < length; start += chunk) {
          const size = Math.min(chunk, length - start);
          const cut = <T extends tf.Tensor>(t: T): T => tf.slice(t, [0, start, 0], [batch, size, t.shape[2]!]) as T;
          const maskPart = tf.slice(m, [0, start], [batch, size]);
          parts.push(megaAttention(cut(q), cut(k), cut(v), maskPart, { ...options, chunkSize: -1 }, inferenceContext()));
        }
        return [chunked.dataSync() as Float32Array, tf.concat(parts, 1).dataSync() as Float32Array];
      });
      // The tail chunk (one real position of 5) counts only its real key, as attention over it alone.
      expect(maxAbsDiff(pieces[0]!, pieces[1]!)).toBeLessThan(1e-6);
      store.dispose();
    });
  }

  for (const [name, entry] of Object.entries(fixture.cases)) {
    it(`matches the numpy port of facebookresearch/mega's layer: ${name} (mixer, then the block's feed-forward)`, () => {
      const store = new ParamStore(1);
      const args = {
        dModel: entry.dModel,
        heads: 1,
        seqLen: entry.length,
        dropout: 0,
        attentionDropout: 0,
        params: store.scope('layer/mixer'),
        layer: 0,
        blockStyle: entry.blockStyle,
      };
      const options: MegaOptions = { ...mega.defaults, ...entry.options, emaDim: entry.emaDim };
      expect(mega.validate!(args, options)).toBeNull();
      const mixer = mega.create(args, options);
      const block = encoderBlock(store.scope('layer'), mixer, {
        style: entry.blockStyle,
        dModel: entry.dModel,
        mlpDim: entry.mlpDim,
        dropout: 0,
        layerNormEps: mega.layerNormEps!,
      });
      const names = new Set(store.variables().map((p) => p.name));
      for (const [key, value] of Object.entries(entry.params)) {
        const full = key.startsWith('feedForward') ? `layer/${key}` : `layer/mixer/${key}`;
        expect(names.delete(full), full).toBe(true);
        const variable = store.get(full);
        expect(variable.shape).toEqual(value.shape);
        variable.assign(tf.tensor(Float32Array.from(value.values), value.shape));
      }
      expect([...names]).toEqual([]); // every parameter came from the fixture
      const { batch, length, dModel } = entry;
      const [mixed, layer] = tf.tidy(() => {
        const x = tf.tensor3d(Float32Array.from(entry.x), [batch, length, dModel]);
        const mask = tf.tensor2d(Float32Array.from(entry.mask), [batch, length]);
        return [mixer.apply(x, mask, inferenceContext()).dataSync(), block.apply(x, mask, inferenceContext()).dataSync()];
      });
      expect(maxAbsDiff(mixed!, entry.mixer)).toBeLessThan(1e-5);
      expect(maxAbsDiff(layer!, entry.layer)).toBeLessThan(1e-5);
      store.dispose();
    });
  }

  it('checks its mask and length, validates its options, and is registered', () => {
    const { store, mixer } = build();
    expect(mixer.ownsResidual).toBe(true);
    // The reference's Adam decays every parameter, the EMA's included, at the run's rate.
    expect(store.variables().every((p) => p.decay && p.lr === undefined)).toBe(true);
    const y = tf.tidy(() => mixer.apply(tf.ones([2, 8, 4]), null, inferenceContext()));
    expect(y.shape).toEqual([2, 8, 4]);
    y.dispose();
    const short = tf.tidy(() => mixer.apply(tf.ones([1, 3, 4]), tf.ones([1, 3]), inferenceContext()));
    expect(short.shape).toEqual([1, 3, 4]);
    short.dispose();
    expect(() => mixer.apply(tf.ones([2, 8, 4]), tf.ones([2, 7]), inferenceContext())).toThrow('mega: mask shape [2,7] does not match input [2, 8]');
    expect(() => mixer.apply(tf.ones([1, 9, 4]), null, inferenceContext())).toThrow('exceeds the length 8');
    store.dispose();
    expect(getMixer('mega')).toBe(mega);
    const args = { dModel: 4, heads: 1, seqLen: 8, dropout: 0, attentionDropout: 0, params: new ParamStore(1), layer: 0 };
    expect(mega.validate!(args, { ...mega.defaults, chunkSize: -2 })).toMatch(/chunkSize must be/);
    expect(mega.validate!(args, { ...mega.defaults, zDim: 3, relativePositions: 'rotary' })).toMatch(/even zDim/);
    expect(mega.validate!(args, { ...mega.defaults, truncation: 0 })).toMatch(/truncation/);
    expect(mega.defaults).toMatchObject({ zDim: 64, hiddenDim: 160, emaDim: 16, chunkSize: -1, truncation: 1024, bidirectional: true });
  });

  it("shows the EMA's two-sided impulse response (lag 0: both kernels and omega)", () => {
    const { store, mixer } = build({}, 6);
    const view = mixer.inspect!(tf.zeros([1, 6, 4]), null, inferenceContext()).impulseResponses![0]!;
    expect([view.channels, view.firstOffset, view.length]).toEqual([4, -5, 11]);
    const kernel = tf.tidy(() =>
      megaEmaKernel(
        { delta: store.get('mixer/ema/delta'), alpha: store.get('mixer/ema/alpha'), beta: store.get('mixer/ema/beta'), gamma: store.get('mixer/ema/gamma'), omega: store.get('mixer/ema/omega') },
        6,
      ).arraySync(),
    ) as number[][];
    const omega = store.get('mixer/ema/omega').dataSync();
    // Channel 1: offset +2 (two steps back) is the forward kernel's lag 2, offset -3 the backward one's.
    expect(view.values[11 + 5 + 2]).toBeCloseTo(kernel[1]![2]!, 6);
    expect(view.values[11 + 5 - 3]).toBeCloseTo(kernel[4 + 1]![3]!, 6);
    expect(view.values[11 + 5]).toBeCloseTo(kernel[1]![0]! + kernel[5]![0]! + omega[1]!, 5);
    store.dispose();
  });

  it('shows its softmax weights as one map per example, zero between chunks, each real row summing to 1', () => {
    const { store, mixer } = build({ chunkSize: 4 }, 10);
    const mask = tf.tensor2d(Float32Array.from({ length: 20 }, (_, i) => (i === 13 ? 0 : 1)), [2, 10]);
    const x = tf.randomNormal([2, 10, 4], 0, 1, 'float32', 7) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    const view = mixer.inspect!(x, mask, inferenceContext()).attention!;
    expect(tf.memory().numTensors).toBe(before);
    expect([view.examples, view.heads, view.queries, view.keys]).toEqual([2, 1, 10, 10]);
    for (let row = 0; row < 20; row++) {
      const weights = view.probabilities.slice(row * 10, row * 10 + 10);
      const query = row % 10;
      expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      weights.forEach((w, key) => {
        if (Math.floor(key / 4) !== Math.floor(query / 4) || (row >= 10 && key === 3)) expect(w).toBe(0);
      });
    }
    expect(mixer.inspect!(x, mask, inferenceContext()).impulseResponses).toHaveLength(1);
    tf.dispose([mask, x]);
    store.dispose();
    const laplace = build({ attentionActivation: 'laplace' });
    expect(laplace.mixer.inspect!(tf.zeros([1, 8, 4]), null, inferenceContext()).attention).toBeUndefined();
    laplace.store.dispose();
  });

  for (const style of ['post-ln', 'pre-ln'] as const) {
    it(`has gradients for the input and every parameter that match finite differences (${style === 'pre-ln' ? 'pre-ln, laplace, chunked, rotary' : 'post-ln, softmax, simple'})`, () => {
      const options = style === 'post-ln' ? {} : { attentionActivation: 'laplace' as const, chunkSize: 3, relativePositions: 'rotary' as const };
      const { store, mixer } = build(options, 7, 4, style);
      const [batch, length, width] = [2, 7, 4];
      const weights = tf.tensor3d(Float32Array.from(seededUniform('mega-w', batch * length * width)), [batch, length, width]);
      const x = tf.tensor3d(Float32Array.from(seededUniform('mega-x', batch * length * width)), [batch, length, width]);
      const mask = tf.tensor2d(Float32Array.from({ length: batch * length }, (_, i) => (i === 10 || i === 13 ? 0 : 1)), [batch, length]);
      const loss = (input: tf.Tensor) => tf.sum(tf.mul(mixer.apply(input as tf.Tensor3D, mask, inferenceContext()), weights)) as tf.Scalar;
      assertGradcheck(loss, [x], { eps: 1e-2, atol: 3e-3, rtol: 2e-2 });
      expect(paramGradcheck(store, () => loss(x), { atol: 3e-3, rtol: 2e-2 })).toEqual([]);
      tf.dispose([weights, x, mask]);
      store.dispose();
    });
  }

  it('leaves no tensors behind, in training (dropout everywhere) and inference', () => {
    const store = new ParamStore(9);
    const resolved: MegaOptions = { ...mega.defaults, ...SMALL, chunkSize: 3, hiddenDropout: 0.1 };
    const mixer = mega.create({ dModel: 4, heads: 1, seqLen: 8, dropout: 0.1, attentionDropout: 0.1, params: store.scope('mixer'), layer: 0 }, resolved);
    const x = tf.randomNormal([2, 8, 4], 0, 1, 'float32', 3) as tf.Tensor3D;
    const mask = tf.tensor2d(Float32Array.from({ length: 16 }, (_, i) => (i > 13 ? 0 : 1)), [2, 8]);
    expect(tensorsLeaked(mixer, x, mask, { context: (step) => trainingContext(1, step), rounds: 2, shortInput: 5 })).toBe(0);
    expect(tensorsLeaked(mixer, x, null, { context: () => inferenceContext() })).toBe(0);
    tf.dispose([x, mask]);
    store.dispose();
  });

  it('trains: a few dozen steps lower the loss on a synthetic task', () => {
    const result = trainsOnSyntheticTask('mega', { zDim: 8, hiddenDim: 16, emaDim: 4 }, { steps: 40 });
    expect(result.leaked).toBe(0);
    expect(result.lastLoss).toBeLessThan(result.firstLoss * 0.8);
  });
});
