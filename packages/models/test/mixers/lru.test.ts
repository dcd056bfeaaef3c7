// The LRU: the parallel scan against the recurrence run step by step in float64; the whole layer
// and its initialisation against a numpy port of the paper's code and minimal-LRU
// (scripts/fixtures/lru_reference.py); padding, gradients, training, leaks and parameter groups.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { gammaLogFrom, lru, lruRecurrence, phaseLog, ringNuLog, type LruOptions, type LruParams } from '../../src/mixers/lru.js';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { maxAbsDiff } from './attention-family.js';
import { paramGradcheck } from './support/param-gradcheck.js';
import { checkCausalAtAnyLength, checkMaskAndPadding, scanInputs, scanMixerCase } from './support/scan-mixer-checks.js';
import { sequentialScan } from './support/sequential-scan.js';
import { tensorsLeaked } from './support/leaks.js';
import { trainsOnSyntheticTask } from './support/trains.js';

const B = 2;
const N = 7;
const H = 3;
const SMALL: Partial<LruOptions> = { dState: 5 };

function build(options: Partial<LruOptions> = {}, seqLen = N, seed = 9) {
  const store = new ParamStore(seed);
  const resolved: LruOptions = { ...lru.defaults, ...SMALL, ...options };
  const args = { dModel: H, heads: 1, seqLen, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0 };
  expect(lru.validate!(args, resolved)).toBeNull();
  return { store, mixer: lru.create(args, resolved), options: resolved };
}

function recurrenceParams(store: ParamStore, bidirectional: boolean): LruParams {
  const get = (name: string) => store.get(`mixer/${name}`);
  const readout = (prefix: string) => ({ cRe: get(`${prefix}cRe`) as tf.Tensor2D, cIm: get(`${prefix}cIm`) as tf.Tensor2D });
  return {
    nuLog: get('nuLog') as tf.Tensor1D,
    thetaLog: get('thetaLog') as tf.Tensor1D,
    gammaLog: get('gammaLog') as tf.Tensor1D,
    bRe: get('bRe') as tf.Tensor2D,
    bIm: get('bIm') as tf.Tensor2D,
    c: bidirectional ? [readout(''), readout('reverse/')] : [readout('')],
    d: get('D') as tf.Tensor1D,
  };
}

const read = (store: ParamStore, name: string): Float64Array => Float64Array.from(store.get(`mixer/${name}`).dataSync());

/** h_t = lambda h_{t-1} + gamma B u_t step by step in float64 (and backwards), y = Re(C h + C' h') + D u. */
function recurrenceFloat64(store: ParamStore, bidirectional: boolean, u: Float64Array, batch: number, length: number): Float64Array {
  const nu = read(store, 'nuLog');
  const theta = read(store, 'thetaLog');
  const gamma = read(store, 'gammaLog').map(Math.exp);
  const n = nu.length;
  const aRe = nu.map((v, i) => Math.exp(-Math.exp(v)) * Math.cos(Math.exp(theta[i]!)));
  const aIm = nu.map((v, i) => Math.exp(-Math.exp(v)) * Math.sin(Math.exp(theta[i]!)));
  const [bRe, bIm] = [read(store, 'bRe'), read(store, 'bIm')];
  const driveRe = new Float64Array(batch * length * n);
  const driveIm = new Float64Array(batch * length * n);
  for (let r = 0; r < batch * length; r++)
    for (let s = 0; s < n; s++)
      for (let h = 0; h < H; h++) {
        driveRe[r * n + s] += gamma[s]! * bRe[s * H + h]! * u[r * H + h]!;
        driveIm[r * n + s] += gamma[s]! * bIm[s * H + h]! * u[r * H + h]!;
      }
  const d = read(store, 'D');
  const y = new Float64Array(batch * length * H);
  for (let r = 0; r < batch * length; r++) for (let h = 0; h < H; h++) y[r * H + h] = d[h]! * u[r * H + h]!;
  (bidirectional ? ['', 'reverse/'] : ['']).forEach((prefix, direction) => {
    const [cRe, cIm] = [read(store, `${prefix}cRe`), read(store, `${prefix}cIm`)];
    const [xRe, xIm] = sequentialScan(aRe, aIm, driveRe, driveIm, batch, length, n, direction === 1);
    for (let r = 0; r < batch * length; r++)
      for (let h = 0; h < H; h++)
        for (let s = 0; s < n; s++) y[r * H + h] += cRe[h * n + s]! * xRe[r * n + s]! - cIm[h * n + s]! * xIm[r * n + s]!;
  });
  return y;
}

interface Fixture {
  cases: {
    batch: number;
    channels: number;
    dState: number;
    length: number;
    rMin: number;
    rMax: number;
    maxPhase: number;
    bidirectional: boolean;
    params: Record<string, { shape: number[]; values: number[] }>;
    x: number[];
    y: number[];
  }[];
  init: { rMin: number; rMax: number; maxPhase: number; uNu: number[]; uTheta: number[]; nuLog: number[]; thetaLog: number[]; gammaLog: number[] }[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/mixers/lru-reference.json', import.meta.url), 'utf8')) as Fixture;

const scanCase = scanMixerCase('lru', 'lru-x', H, (causal, seqLen) => build(causal ? { bidirectional: false } : {}, seqLen));
const { xTensor, maskTensor, realPosition } = scanInputs(scanCase);

/** A uniform source that hands out the given values as 1 - u (the initialisers draw 1 - random()). */
function replaying(values: number[]): () => number {
  let next = 0;
  return () => 1 - values[next++]!;
}

describe('lru (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  for (const bidirectional of [true, false]) {
    it(`the parallel scan equals the float64 recurrence (bidirectional ${bidirectional})`, () => {
      const { store } = build({ bidirectional, rMin: 0.5, rMax: 0.999 });
      const params = recurrenceParams(store, bidirectional);
      for (const length of [1, 2, 5, 16, 37, 100]) {
        const u = seededUniform(`lru-u-${length}`, B * length * H);
        const got = tf.tidy(() => lruRecurrence(params, tf.tensor3d(Float32Array.from(u), [B, length, H])).dataSync());
        expect(maxAbsDiff(got, recurrenceFloat64(store, bidirectional, u, B, length)), `length ${length}`).toBeLessThan(1e-5);
      }
      store.dispose();
    });
  }

  it("computes the ring initialisation and gamma as the reference's formulas", () => {
    for (const c of fixture.init) {
      const shape = [c.uNu.length];
      const nu = ringNuLog(c.rMin, c.rMax).sample(shape, replaying(c.uNu));
      const theta = phaseLog(c.maxPhase).sample(shape, replaying(c.uTheta));
      const gamma = gammaLogFrom(c.nuLog).sample(shape, Math.random);
      expect(maxAbsDiff(nu, c.nuLog)).toBeLessThan(1e-5 * Math.max(...c.nuLog.map(Math.abs)));
      expect(maxAbsDiff(theta, c.thetaLog)).toBeLessThan(1e-5);
      expect(maxAbsDiff(gamma, c.gammaLog)).toBeLessThan(1e-5 * Math.max(...c.gammaLog.map(Math.abs)));
    }
  });

  it('starts with |lambda| on the ring [rMin, rMax], phases in [0, maxPhase] and gamma = sqrt(1 - |lambda|^2)', () => {
    for (const [rMin, rMax, maxPhase] of [
      [0, 0.999, 2 * Math.PI],
      [0.9, 0.999, Math.PI / 10],
    ] as const) {
      const { store } = build({ dState: 256, rMin, rMax, maxPhase });
      const moduli = Array.from(read(store, 'nuLog'), (nu) => Math.exp(-Math.exp(nu)));
      const phases = Array.from(read(store, 'thetaLog'), Math.exp);
      expect(moduli.every((r) => r >= rMin - 1e-6 && r <= rMax + 1e-6)).toBe(true);
      expect(phases.every((p) => p > 0 && p <= maxPhase * (1 + 1e-6))).toBe(true);
      // Uniform by area: r^2 is uniform on [rMin^2, rMax^2], so its mean is their midpoint.
      const meanSquare = moduli.reduce((s, r) => s + r * r, 0) / moduli.length;
      expect(Math.abs(meanSquare - (rMin ** 2 + rMax ** 2) / 2)).toBeLessThan(0.05);
      read(store, 'gammaLog').forEach((g, i) => expect(Math.exp(g)).toBeCloseTo(Math.sqrt(1 - moduli[i]! ** 2), 5));
      store.dispose();
    }
  });

  it.each(fixture.cases.map((c, i) => [i, c] as const))('matches the numpy port of LRU and SequenceLayer (case %i)', (_i, c) => {
    const store = new ParamStore(1);
    const options: LruOptions = { ...lru.defaults, dState: c.dState, rMin: c.rMin, rMax: c.rMax, maxPhase: c.maxPhase, bidirectional: c.bidirectional };
    const args = { dModel: c.channels, heads: 1, seqLen: c.length, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0 };
    const mixer = lru.create(args, options);
    expect(store.variables().map((p) => p.name).sort()).toEqual(Object.keys(c.params).map((k) => `mixer/${k}`).sort());
    for (const [name, entry] of Object.entries(c.params)) store.get(`mixer/${name}`).assign(tf.tensor(Float32Array.from(entry.values), entry.shape));
    const y = tf.tidy(() => mixer.apply(tf.tensor3d(Float32Array.from(c.x), [c.batch, c.length, c.channels]), null, inferenceContext()).dataSync());
    expect(maxAbsDiff(y, c.y)).toBeLessThan(1e-5);
    store.dispose();
  });

  it('takes a mask, checks its shape, and ignores what padded positions hold', () => checkMaskAndPadding(scanCase));

  it('is causal without the backward scan, and takes odd and LRA-like lengths', () => checkCausalAtAnyLength(scanCase));

  it('shows the impulse response of each channel, both directions', () => {
    const { store, mixer } = build();
    const length = 6;
    const [response] = mixer.inspect!(tf.zeros([1, length, H]) as tf.Tensor3D, null, inferenceContext()).impulseResponses!;
    expect(response!.length).toBe(2 * length - 1);
    expect(response!.firstOffset).toBe(-(length - 1));
    const params = recurrenceParams(store, true);
    for (let h = 0; h < H; h++) {
      const at = 3;
      const u = new Float32Array(length * H);
      u[at * H + h] = 1;
      const y = tf.tidy(() => lruRecurrence(params, tf.tensor3d(u, [1, length, H])).dataSync());
      for (let t = 0; t < length; t++) expect(response!.values[h * response!.length + (t - at) + (length - 1)]!).toBeCloseTo(y[t * H + h]!, 5);
    }
    store.dispose();
  });

  it('has gradients that match finite differences for the input and every parameter', () => {
    const { store, mixer } = build({ dState: 3, rMin: 0.5, maxPhase: 1 });
    const weights = tf.tensor3d(Float32Array.from(seededUniform('lru-w', B * N * H), (w, i) => (realPosition(i) ? w : 0)), [B, N, H]);
    const loss = (x: tf.Tensor) => tf.sum(tf.mul(mixer.apply(x as tf.Tensor3D, maskTensor(), inferenceContext()), weights)) as tf.Scalar;
    assertGradcheck(loss, [xTensor()], { eps: 1e-2, atol: 2e-3, rtol: 2e-2 });
    expect(paramGradcheck(store, () => loss(xTensor()))).toEqual([]);
    store.dispose();
  });

  it('leaves no tensors behind, dropout on', () => {
    const { store, mixer } = build({ activationDropout: 0.2 });
    expect(tensorsLeaked(mixer, xTensor(), maskTensor(), { context: (i) => trainingContext(3, i), shortInput: 3 })).toBe(0);
    store.dispose();
  });

  it('trains nu, theta, gamma and B without weight decay at their own rate', () => {
    const { store } = build({ ssmLr: 7e-4 });
    expect(Object.fromEntries(store.variables().map((p) => [p.name.replace('mixer/', ''), [p.decay, p.lr ?? null]]))).toEqual({
      nuLog: [false, 7e-4],
      thetaLog: [false, 7e-4],
      gammaLog: [false, 7e-4],
      bRe: [false, 7e-4],
      bIm: [false, 7e-4],
      cRe: [true, null],
      cIm: [true, null],
      'reverse/cRe': [true, null],
      'reverse/cIm': [true, null],
      D: [true, null],
      'out1/kernel': [true, null],
      'out1/bias': [true, null],
      'out2/kernel': [true, null],
      'out2/bias': [true, null],
    });
    store.dispose();
  });

  it('validates its options', () => {
    const args = { dModel: H, heads: 1, seqLen: N, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
    expect(lru.validate!(args, { ...lru.defaults, rMax: 1 })).toBe('need 0 <= rMin <= rMax < 1, got rMin 0, rMax 1');
    expect(lru.validate!(args, { ...lru.defaults, dState: 0 })).toBe('dState must be a positive integer, got 0');
    expect(lru.validate!(args, lru.defaults)).toBeNull();
  });

  it('trains: a few dozen steps lower the loss on a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('lru', { dState: 16, ssmLr: 3e-3 }, { steps: 40 });
    expect(leaked).toBe(0);
    expect(lastLoss).toBeLessThan(firstLoss * 0.8);
  });
});
