// S5: the parallel scan against the recurrence run step by step in float64; the whole layer and
// its initialisation against a numpy port of lindermanlab/S5 (scripts/fixtures/s5_reference.py);
// padding, gradients, training, leaks and parameter groups.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { hippoEigenBasis, projectInput, projectOutput, symmetricEigen } from '../../src/mixers/s5-hippo.js';
import { s5, s5Ssm, type S5Options, type S5Params } from '../../src/mixers/s5.js';
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
const SMALL: Partial<S5Options> = { dState: 8, blocks: 2 };

function build(options: Partial<S5Options> = {}, seqLen = N, seed = 5) {
  const store = new ParamStore(seed);
  const resolved: S5Options = { ...s5.defaults, ...SMALL, ...options };
  const args = { dModel: H, heads: 1, seqLen, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0 };
  expect(s5.validate!(args, resolved)).toBeNull();
  return { store, mixer: s5.create(args, resolved), options: resolved };
}

function ssmParams(store: ParamStore, bidirectional: boolean): S5Params {
  const get = (name: string) => store.get(`mixer/${name}`);
  return {
    lambdaRe: get('lambdaRe') as tf.Tensor1D,
    lambdaIm: get('lambdaIm') as tf.Tensor1D,
    b: get('B') as tf.Tensor3D,
    c: (bidirectional ? ['C1', 'C2'] : ['C']).map((name) => get(name) as tf.Tensor3D),
    logStep: get('logStep') as tf.Tensor1D,
    d: get('D') as tf.Tensor1D,
  };
}

const read = (store: ParamStore, name: string): Float64Array => Float64Array.from(store.get(`mixer/${name}`).dataSync());

/**
 * The S5 SSM in float64, written from the paper's equations: discretise (ZOH or bilinear), run
 * x_t = Lambda_bar x_{t-1} + B_bar u_t step by step (and backwards), y = 2 Re(C1 x + C2 x') + D u.
 */
function ssmFloat64(store: ParamStore, o: S5Options, u: Float64Array, batch: number, length: number): Float64Array {
  const lambdaRe = read(store, 'lambdaRe').map((v) => (o.clipEigs ? Math.min(v, -1e-4) : v));
  const lambdaIm = read(store, 'lambdaIm');
  const b = read(store, 'B');
  const steps = read(store, 'logStep').map(Math.exp);
  const half = lambdaRe.length;
  const aRe = new Float64Array(half);
  const aIm = new Float64Array(half);
  const bBarRe = new Float64Array(half * H);
  const bBarIm = new Float64Array(half * H);
  for (let n = 0; n < half; n++) {
    const [lr, li, dt] = [lambdaRe[n]!, lambdaIm[n]!, steps[n]!];
    let fRe: number;
    let fIm: number;
    if (o.discretization === 'zoh') {
      aRe[n] = Math.exp(lr * dt) * Math.cos(li * dt);
      aIm[n] = Math.exp(lr * dt) * Math.sin(li * dt);
      const norm = lr * lr + li * li;
      fRe = ((aRe[n]! - 1) * lr + aIm[n]! * li) / norm;
      fIm = (aIm[n]! * lr - (aRe[n]! - 1) * li) / norm;
    } else {
      const dRe = 1 - (dt / 2) * lr;
      const dIm = -(dt / 2) * li;
      const dn = dRe * dRe + dIm * dIm;
      const [iRe, iIm] = [dRe / dn, -dIm / dn];
      const [nRe, nIm] = [1 + (dt / 2) * lr, (dt / 2) * li];
      aRe[n] = iRe * nRe - iIm * nIm;
      aIm[n] = iRe * nIm + iIm * nRe;
      [fRe, fIm] = [iRe * dt, iIm * dt];
    }
    for (let h = 0; h < H; h++) {
      const [re, im] = [b[(n * H + h) * 2]!, b[(n * H + h) * 2 + 1]!];
      bBarRe[n * H + h] = fRe * re - fIm * im;
      bBarIm[n * H + h] = fRe * im + fIm * re;
    }
  }
  const driveRe = new Float64Array(batch * length * half);
  const driveIm = new Float64Array(batch * length * half);
  for (let r = 0; r < batch * length; r++)
    for (let n = 0; n < half; n++)
      for (let h = 0; h < H; h++) {
        driveRe[r * half + n] += bBarRe[n * H + h]! * u[r * H + h]!;
        driveIm[r * half + n] += bBarIm[n * H + h]! * u[r * H + h]!;
      }
  const d = read(store, 'D');
  const y = new Float64Array(batch * length * H);
  for (let r = 0; r < batch * length; r++) for (let h = 0; h < H; h++) y[r * H + h] = d[h]! * u[r * H + h]!;
  (o.bidirectional ? ['C1', 'C2'] : ['C']).forEach((name, direction) => {
    const c = read(store, name);
    const [xRe, xIm] = sequentialScan(aRe, aIm, driveRe, driveIm, batch, length, half, direction === 1);
    for (let r = 0; r < batch * length; r++)
      for (let h = 0; h < H; h++)
        for (let n = 0; n < half; n++) {
          const [cRe, cIm] = [c[(h * half + n) * 2]!, c[(h * half + n) * 2 + 1]!];
          y[r * H + h] += 2 * (cRe * xRe[r * half + n]! - cIm * xIm[r * half + n]!);
        }
  });
  return y;
}

interface Fixture {
  cases: (Omit<S5Options, 'dState'> & {
    dState: number;
    batch: number;
    channels: number;
    length: number;
    params: Record<string, { shape: number[]; values: number[] }>;
    x: number[];
    y: number[];
  })[];
  init: {
    dState: number;
    blocks: number;
    channels: number;
    lambdaRe: number[];
    lambdaIm: number[];
    b: number[];
    c: number[];
    bTildeRe: number[];
    bTildeIm: number[];
    cTildeRe: number[];
    cTildeIm: number[];
  }[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/mixers/s5-reference.json', import.meta.url), 'utf8')) as Fixture;

const scanCase = scanMixerCase('s5', 's5-x', H, (causal, seqLen) => build(causal ? { bidirectional: false } : {}, seqLen));
const { xTensor, maskTensor, realPosition } = scanInputs(scanCase);

describe('s5 (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  for (const [discretization, bidirectional] of [
    ['zoh', true],
    ['zoh', false],
    ['bilinear', true],
  ] as const) {
    it(`the parallel scan equals the float64 recurrence (${discretization}, bidirectional ${bidirectional})`, () => {
      const { store, options } = build({ discretization, bidirectional, clipEigs: true });
      // Long steps, so that the states carry far; one eigenvalue in the right half-plane (clipped).
      store.get('mixer/logStep').assign(tf.tensor1d([-0.3, -1, -2, -0.7]));
      store.get('mixer/lambdaRe').assign(tf.tensor1d([0.3, -0.5, -0.1, -0.02]));
      const params = ssmParams(store, bidirectional);
      for (const length of [1, 2, 5, 16, 37]) {
        const u = seededUniform(`s5-u-${length}`, B * length * H);
        const got = tf.tidy(() => s5Ssm(params, options, tf.tensor3d(Float32Array.from(u), [B, length, H])).dataSync());
        expect(maxAbsDiff(got, ssmFloat64(store, options, u, B, length)), `length ${length}`).toBeLessThan(1e-5);
      }
      store.dispose();
    });
  }

  it('solves the symmetric eigenproblem: A v = lambda v, orthonormal vectors, ascending values', () => {
    const n = 9;
    const r = seededUniform('s5-sym', n * n);
    const a = Float64Array.from({ length: n * n }, (_, i) => r[i]! + r[(i % n) * n + Math.floor(i / n)]!);
    const { values, vectors } = symmetricEigen(a, n);
    for (let k = 0; k < n; k++) {
      if (k > 0) expect(values[k]!).toBeGreaterThanOrEqual(values[k - 1]!);
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let j = 0; j < n; j++) av += a[i * n + j]! * vectors[j * n + k]!;
        expect(Math.abs(av - values[k]! * vectors[i * n + k]!)).toBeLessThan(1e-12);
      }
      for (let m = 0; m < n; m++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += vectors[i * n + k]! * vectors[i * n + m]!;
        expect(Math.abs(dot - (k === m ? 1 : 0))).toBeLessThan(1e-12);
      }
    }
  });

  it("starts from numpy's HiPPO-N eigendecomposition: Lambda, V^-1 B and C V", () => {
    for (const c of fixture.init) {
      const basis = hippoEigenBasis(c.dState / c.blocks);
      const half = c.dState / 2;
      const lambdaRe = Array.from({ length: half }, (_, i) => basis.lambdaRe[i % basis.lambdaRe.length]!);
      const lambdaIm = Array.from({ length: half }, (_, i) => basis.lambdaIm[i % basis.lambdaIm.length]!);
      expect(maxAbsDiff(lambdaRe, c.lambdaRe)).toBeLessThan(1e-9);
      expect(maxAbsDiff(lambdaIm, c.lambdaIm) / Math.max(...c.lambdaIm.map(Math.abs))).toBeLessThan(1e-9);
      const bTilde = projectInput(basis, c.blocks, c.b, c.channels);
      const cTilde = projectOutput(basis, c.blocks, c.c, c.channels);
      // An eigenvector is fixed up to a phase, so compare what does not depend on it: |B~| and
      // every product C~[h, n] B~[n, k] (the system's transfer through state n).
      for (let n = 0; n < half; n++) {
        for (let k = 0; k < c.channels; k++) {
          const ours = Math.hypot(bTilde[(n * c.channels + k) * 2]!, bTilde[(n * c.channels + k) * 2 + 1]!);
          expect(Math.abs(ours - Math.hypot(c.bTildeRe[n * c.channels + k]!, c.bTildeIm[n * c.channels + k]!))).toBeLessThan(1e-5);
          for (let h = 0; h < c.channels; h++) {
            const [br, bi] = [bTilde[(n * c.channels + k) * 2]!, bTilde[(n * c.channels + k) * 2 + 1]!];
            const [cr, ci] = [cTilde[(h * half + n) * 2]!, cTilde[(h * half + n) * 2 + 1]!];
            const [nbr, nbi] = [c.bTildeRe[n * c.channels + k]!, c.bTildeIm[n * c.channels + k]!];
            const [ncr, nci] = [c.cTildeRe[h * half + n]!, c.cTildeIm[h * half + n]!];
            expect(Math.abs(cr * br - ci * bi - (ncr * nbr - nci * nbi))).toBeLessThan(1e-5);
            expect(Math.abs(cr * bi + ci * br - (ncr * nbi + nci * nbr))).toBeLessThan(1e-5);
          }
        }
      }
    }
  });

  it.each(fixture.cases.map((c, i) => [i, c] as const))('matches the numpy port of S5SSM and SequenceLayer (case %i)', (_i, c) => {
    const store = new ParamStore(1);
    const options: S5Options = { ...s5.defaults, ...(({ dState, blocks, discretization, bidirectional, activation, clipEigs }) => ({ dState, blocks, discretization, bidirectional, activation, clipEigs }))(c) };
    const args = { dModel: c.channels, heads: 1, seqLen: c.length, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0 };
    const mixer = s5.create(args, options);
    expect(store.variables().map((p) => p.name).sort()).toEqual(Object.keys(c.params).map((k) => `mixer/${k}`).sort());
    for (const [name, entry] of Object.entries(c.params)) store.get(`mixer/${name}`).assign(tf.tensor(Float32Array.from(entry.values), entry.shape));
    const y = tf.tidy(() => mixer.apply(tf.tensor3d(Float32Array.from(c.x), [c.batch, c.length, c.channels]), null, inferenceContext()).dataSync());
    expect(maxAbsDiff(y, c.y)).toBeLessThan(1e-5);
    store.dispose();
  });

  it('takes a mask, checks its shape, and ignores what padded positions hold', () => checkMaskAndPadding(scanCase));

  it('is causal without the backward scan, and takes odd and LRA-like lengths', () => checkCausalAtAnyLength(scanCase));

  it('shows the SSM impulse response of each channel, both directions', () => {
    const { store, mixer, options } = build();
    const length = 6;
    const inspection = mixer.inspect!(tf.zeros([1, length, H]) as tf.Tensor3D, null, inferenceContext());
    const [response] = inspection.impulseResponses!;
    expect(response!.length).toBe(2 * length - 1);
    expect(response!.firstOffset).toBe(-(length - 1));
    // Column j of the response is the SSM's output at channel h for an impulse at channel h, position j.
    const params = ssmParams(store, true);
    for (let h = 0; h < H; h++) {
      const at = 2;
      const u = new Float32Array(length * H);
      u[at * H + h] = 1;
      const y = tf.tidy(() => s5Ssm(params, options, tf.tensor3d(u, [1, length, H])).dataSync());
      for (let t = 0; t < length; t++) {
        expect(response!.values[h * response!.length + (t - at) + (length - 1)]!).toBeCloseTo(y[t * H + h]!, 5);
      }
    }
    store.dispose();
  });

  it('has gradients that match finite differences for the input and every parameter', () => {
    const { store, mixer } = build({ activation: 'full_glu', dState: 4, blocks: 1 });
    store.get('mixer/logStep').assign(tf.tensor1d([-0.5, -1.5]));
    const weights = tf.tensor3d(Float32Array.from(seededUniform('s5-w', B * N * H), (w, i) => (realPosition(i) ? w : 0)), [B, N, H]);
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

  it('drops whole channels after the GELU when training', () => {
    const { store, mixer } = build({ activation: 'gelu', activationDropout: 0.5 });
    const y = mixer.apply(xTensor(), null, trainingContext(7, 0)).dataSync();
    // A dropped channel is zero at every position of its example; a kept one nowhere all zero.
    let dropped = 0;
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        const column = Array.from({ length: N }, (_, t) => y[(b * N + t) * H + h]!);
        if (column.every((v) => v === 0)) dropped++;
        else expect(column.filter((v) => v === 0).length).toBe(0);
      }
    expect(dropped).toBeGreaterThan(0);
    store.dispose();
  });

  it("puts Lambda, B and the step sizes in S5's SSM group: no weight decay, their own rate", () => {
    const groups = (options: Partial<S5Options>) => {
      const { store } = build({ ssmLr: 2e-3, ...options });
      const out = Object.fromEntries(store.variables().map((p) => [p.name.replace('mixer/', ''), [p.decay, p.lr ?? null]]));
      store.dispose();
      return out;
    };
    expect(groups({})).toEqual({
      lambdaRe: [false, 2e-3],
      lambdaIm: [false, 2e-3],
      B: [false, 2e-3],
      C1: [true, null],
      C2: [true, null],
      D: [true, null],
      logStep: [false, 2e-3],
      'out2/kernel': [true, null],
      'out2/bias': [true, null],
    });
    expect(groups({ optConfig: 'BfastandCdecay', dtGlobal: true })).toMatchObject({ B: [true, null], logStep: [true, null], lambdaRe: [false, 2e-3] });
    expect(groups({ optConfig: 'BandCdecay' })).toMatchObject({ B: [true, 2e-3] });
    expect(groups({ optConfig: 'noBCdecay' })).toMatchObject({ B: [false, 2e-3], C1: [false, 2e-3], D: [false, 2e-3] });
  });

  it('validates its options', () => {
    const args = { dModel: H, heads: 1, seqLen: N, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
    expect(s5.validate!(args, { ...s5.defaults, dState: 12, blocks: 8 })).toBe(
      'dState must be a multiple of blocks with an even block size (conjugate pairs), got dState 12, blocks 8',
    );
    expect(s5.validate!(args, { ...s5.defaults, dtMin: 0.2 })).toBe('need 0 < dtMin <= dtMax, got dtMin 0.2, dtMax 0.1');
    expect(s5.validate!(args, s5.defaults)).toBeNull();
  });

  it('trains: a few dozen steps lower the loss on a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('s5', { dState: 16, blocks: 2, ssmLr: 3e-3 }, { steps: 40 });
    expect(leaked).toBe(0);
    expect(lastLoss).toBeLessThan(firstLoss * 0.8);
  });
});
