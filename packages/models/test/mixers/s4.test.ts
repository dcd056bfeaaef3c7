import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { hippoLegs, legsNplr, legsRankCorrection } from '../../src/mixers/hippo.js';
import { s4, type S4Options } from '../../src/mixers/s4.js';
import { cTildeFromC } from '../../src/mixers/s4-c-tilde.js';
import { conjugatePairCauchy } from '../../src/mixers/s4-cauchy.js';
import { s4Kernel, type S4KernelParams } from '../../src/mixers/s4-kernel.js';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { cidentity, cmatmul, cpower, rowTimes, runRecurrence, type CMatrix } from './s4-dense.js';
import { channelSystem, outputRow, s4Float64, softplus } from './s4-float64.js';
import { expectParamGradients, readParams } from './spectral-reference.js';
import { tensorsLeaked } from './support/leaks.js';
import { trainsOnSyntheticTask } from './support/trains.js';

const B = 2;
const N = 12; // seqLen
const D = 4;
const STATE = 8;
const MODES = STATE / 2;

function build(options: Partial<S4Options> = {}, dModel = D, seqLen = N, seed = 23) {
  const store = new ParamStore(seed);
  const resolved: S4Options = { ...s4.defaults, dState: STATE, nSsm: 2, ...options };
  const args = { dModel, heads: 1, seqLen, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0 };
  expect(s4.validate!(args, resolved)).toBeNull();
  return { store, mixer: s4.create(args, resolved) };
}

const kernelParams = (store: ParamStore): S4KernelParams => ({
  invDt: store.get('mixer/invDt'),
  logAReal: store.get('mixer/logAReal'),
  aImag: store.get('mixer/aImag'),
  p: store.get('mixer/P'),
  b: store.get('mixer/B'),
  cTilde: store.get('mixer/cTilde'),
});

/** Step sizes large enough that the kernel rings over a dozen taps. */
const LONG_STEPS = [0.6, 0.25, 0.1, 0.4].map((dt) => Math.log(Math.expm1(dt)));

function relativeError(got: ArrayLike<number>, want: ArrayLike<number>, keep?: (i: number) => boolean): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    if (keep && !keep(i)) continue;
    worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return worst / scale;
}

// Row 0: the last three positions are padding; row 1: all real.
const MASK = Float64Array.from({ length: B * N }, (_, i) => (i < N && i >= N - 3 ? 0 : 1));
const realPosition = (i: number): boolean => MASK[Math.floor(i / D)] === 1;
const xValues = seededUniform('s4-x', B * N * D, -1.5, 1.5);
const xTensor = (): tf.Tensor3D => tf.tensor3d(Float32Array.from(xValues), [B, N, D]);
const maskTensor = (): tf.Tensor2D => tf.tensor2d(Float32Array.from(MASK), [B, N]);
const dims = (length: number, bidirectional = true) => ({ batch: B, length, channels: D, modes: MODES, nodes: Math.max(N, length), bidirectional });

describe('HiPPO-LegS and its DPLR form', () => {
  it('has the LegS matrices of the formula', () => {
    const { a, b } = hippoLegs(5);
    for (let n = 0; n < 5; n++) {
      expect(b[n]).toBeCloseTo(Math.sqrt(2 * n + 1), 14);
      for (let k = 0; k < 5; k++) {
        const want = n > k ? -Math.sqrt(2 * n + 1) * Math.sqrt(2 * k + 1) : n === k ? -(n + 1) : 0;
        expect(a[n * 5 + k]).toBeCloseTo(want, 12);
      }
    }
    expect(Array.from(legsRankCorrection(3))).toEqual([Math.sqrt(0.5), Math.sqrt(1.5), Math.sqrt(2.5)]);
  });

  for (const size of [8, 64]) {
    it(`diag(Lambda) - P P^* is HiPPO-LegS in the basis V, and B = V^* B_LegS (N = ${size})`, () => {
      const nplr = legsNplr(size);
      const modes = size / 2;
      // V_full = [V, conj V] must be unitary; V_full (diag(Lambda) - P P^*) V_full^* = A.
      const v: CMatrix = { n: size, re: new Float64Array(size * size), im: new Float64Array(size * size) };
      for (let k = 0; k < size; k++) {
        for (let m = 0; m < modes; m++) {
          v.re[k * size + m] = v.re[k * size + m + modes] = nplr.vRe[k * modes + m]!;
          v.im[k * size + m] = nplr.vIm[k * modes + m]!;
          v.im[k * size + m + modes] = -nplr.vIm[k * modes + m]!;
        }
      }
      const adjoint: CMatrix = { n: size, re: new Float64Array(size * size), im: new Float64Array(size * size) };
      for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) {
        adjoint.re[i * size + j] = v.re[j * size + i]!;
        adjoint.im[i * size + j] = -v.im[j * size + i]!;
      }
      const gram = cmatmul(adjoint, v);
      const eye = cidentity(size);
      for (let i = 0; i < size * size; i++) expect(Math.abs(gram.re[i]! - eye.re[i]!) + Math.abs(gram.im[i]!)).toBeLessThan(1e-10);
      const full = (re: Float64Array, im: Float64Array) => ({
        re: Float64Array.from({ length: size }, (_, i) => re[i % modes]!),
        im: Float64Array.from({ length: size }, (_, i) => (i < modes ? im[i]! : -im[i - modes]!)),
      });
      const lambda = full(nplr.lambdaRe, nplr.lambdaIm);
      const p = full(nplr.pRe, nplr.pIm);
      const dplr: CMatrix = { n: size, re: new Float64Array(size * size), im: new Float64Array(size * size) };
      for (let i = 0; i < size; i++) {
        for (let j = 0; j < size; j++) {
          dplr.re[i * size + j] = -(p.re[i]! * p.re[j]! + p.im[i]! * p.im[j]!);
          dplr.im[i * size + j] = -(p.im[i]! * p.re[j]! - p.re[i]! * p.im[j]!);
        }
        dplr.re[i * size + i]! += lambda.re[i]!;
        dplr.im[i * size + i]! += lambda.im[i]!;
      }
      const rebuilt = cmatmul(cmatmul(v, dplr), adjoint);
      const { a, b } = hippoLegs(size);
      let worst = 0;
      for (let i = 0; i < size * size; i++) worst = Math.max(worst, Math.abs(rebuilt.re[i]! - a[i]!), Math.abs(rebuilt.im[i]!));
      expect(worst / size).toBeLessThan(1e-10);
      // Lambda: real part -1/2, imaginary parts negative and ascending; B = V^* B_LegS, Im clipped at 2.
      expect(Array.from(nplr.lambdaRe).every((x) => Math.abs(x + 0.5) < 1e-12)).toBe(true);
      for (let m = 1; m < modes; m++) expect(nplr.lambdaIm[m]!).toBeGreaterThan(nplr.lambdaIm[m - 1]!);
      expect(nplr.lambdaIm[modes - 1]!).toBeLessThan(0);
      for (let m = 0; m < modes; m++) {
        // (V^* B)_m = sum_k conj(V_km) B_k.
        let re = 0;
        let im = 0;
        for (let k = 0; k < size; k++) {
          re += nplr.vRe[k * modes + m]! * b[k]!;
          im -= nplr.vIm[k * modes + m]! * b[k]!;
        }
        expect(nplr.bRe[m]).toBeCloseTo(re, 9);
        expect(nplr.bIm[m]).toBeCloseTo(Math.min(2, Math.max(-2, im)), 9);
      }
    });
  }
});

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`s4 on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    it('C~ is C (I - Abar^L), Abar^L by repeated squaring of the dense matrix', () => {
      const { store } = build();
      const params = readParams(store);
      const cRe = seededUniform('s4-c-re', 2 * D * MODES, -1, 1);
      const cIm = seededUniform('s4-c-im', 2 * D * MODES, -1, 1);
      const copies = 2;
      const got = cTildeFromC(cRe, cIm, 2, {
        dt: params['mixer/invDt']!.map(softplus),
        lambdaRe: params['mixer/logAReal']!.map((v) => -Math.exp(v)),
        lambdaIm: params['mixer/aImag']!.map((v) => -v),
        pRe: params['mixer/P']!.filter((_, i) => i % 2 === 0),
        pIm: params['mixer/P']!.filter((_, i) => i % 2 === 1),
        copies,
        modes: MODES,
      }, 37);
      for (let out = 0; out < 2; out++) {
        for (let h = 0; h < D; h++) {
          const system = channelSystem(params, 'mixer/', h, MODES);
          const offset = (out * D + h) * MODES;
          const c = { re: cRe.slice(offset, offset + MODES), im: cIm.slice(offset, offset + MODES) };
          const tail = rowTimes(c.re, c.im, cpower(system.dA, 37));
          for (let m = 0; m < MODES; m++) {
            expect(got.re[offset + m]).toBeCloseTo(c.re[m]! - tail.re[m]!, 10);
            expect(got.im[offset + m]).toBeCloseTo(c.im[m]! - tail.im[m]!, 10);
          }
        }
      }
      store.dispose();
    });

    it('the kernel equals the dense recurrence of the bilinear-discretised DPLR system, both outputs', () => {
      const { store } = build();
      store.get('mixer/invDt').assign(tf.tensor1d(LONG_STEPS));
      const params = readParams(store);
      // Shorter than seqLen (cut from seqLen nodes), seqLen, longer (nodes = length), odd and even.
      for (const length of [1, 7, N, 15]) {
        const nodes = Math.max(N, length);
        const kernel = tf.tidy(() => s4Kernel(kernelParams(store), 'softplus', nodes, length).dataSync());
        const impulse = Float64Array.from({ length }, (_, t) => (t === 0 ? 1 : 0));
        const want = new Float64Array(2 * D * length);
        for (let h = 0; h < D; h++) {
          const system = channelSystem(params, 'mixer/', h, MODES);
          for (let out = 0; out < 2; out++) {
            const c = outputRow(params, 'mixer/', system, out, h, D, MODES, nodes);
            want.set(runRecurrence(system, c.re, c.im, impulse, false), (out * D + h) * length);
          }
        }
        expect(relativeError(kernel, want), `length ${length}`).toBeLessThan(1e-4);
      }
      store.dispose();
    });

    for (const bidirectional of [true, false]) {
      it(`matches the float64 mixer run by recurrence and ignores padded positions (bidirectional ${bidirectional})`, () => {
        const { store, mixer } = build({ bidirectional });
        store.get('mixer/invDt').assign(tf.tensor1d(LONG_STEPS));
        const params = readParams(store);
        const y = mixer.apply(xTensor(), maskTensor(), inferenceContext()).dataSync();
        expect(relativeError(y, s4Float64(params, xValues, MASK, dims(N, bidirectional)), realPosition)).toBeLessThan(1e-4);
        const changed = Float32Array.from(xValues);
        for (let t = N - 3; t < N; t++) for (let c = 0; c < D; c++) changed[t * D + c] = 50 * (c + 1);
        const y2 = mixer.apply(tf.tensor3d(changed, [B, N, D]), maskTensor(), inferenceContext()).dataSync();
        for (let i = 0; i < y.length; i++) if (realPosition(i)) expect(y2[i]).toBe(y[i]);
        // Without a mask, and on a prefix (the kernel cut from seqLen nodes).
        const unmasked = mixer.apply(xTensor(), null, inferenceContext()).dataSync();
        expect(relativeError(unmasked, s4Float64(params, xValues, null, dims(N, bidirectional)))).toBeLessThan(1e-4);
        const short = 5;
        const prefix = Float64Array.from({ length: B * short * D }, (_, i) => xValues[Math.floor(i / (short * D)) * N * D + (i % (short * D))]!);
        const yShort = tf.tidy(() => mixer.apply(tf.tensor3d(Float32Array.from(prefix), [B, short, D]), null, inferenceContext()).dataSync());
        expect(relativeError(yShort, s4Float64(params, prefix, null, { ...dims(short, bidirectional), nodes: N }))).toBeLessThan(1e-4);
        store.dispose();
      });
    }

    it('is causal without the backward kernel', () => {
      const { store, mixer } = build({ bidirectional: false });
      const changed = Float32Array.from(xValues);
      for (let c = 0; c < D; c++) changed[(N - 1) * D + c] += 1;
      const a = mixer.apply(xTensor(), null, inferenceContext()).dataSync();
      const b = mixer.apply(tf.tensor3d(changed, [B, N, D]), null, inferenceContext()).dataSync();
      let before = 0;
      let last = 0;
      for (let i = 0; i < a.length; i++) {
        const diff = Math.abs(a[i]! - b[i]!);
        if (Math.floor(i / D) % N < N - 1) before = Math.max(before, diff);
        else last = Math.max(last, diff);
      }
      expect(before).toBeLessThan(1e-6);
      expect(last).toBeGreaterThan(1e-4);
      store.dispose();
    });

    it('takes LRA lengths: output shapes and finite values', () => {
      const { store, mixer } = build({ dState: 8, nSsm: 1 }, 4, 2001);
      for (const length of [1, 2, 9, 2001]) {
        const y = tf.tidy(() => mixer.apply(tf.randomNormal([1, length, 4], 0, 1, 'float32', 3), null, inferenceContext()));
        expect(y.shape).toEqual([1, length, 4]);
        expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
        y.dispose();
      }
      store.dispose();
    });

    it('refuses a mask of another shape', () => {
      const { store, mixer } = build();
      expect(() => mixer.apply(xTensor(), tf.ones([B, N - 1]) as tf.Tensor2D, inferenceContext())).toThrow('s4: mask shape [2,11] does not match input [2, 12]');
      store.dispose();
    });
  });
}

describe('s4 parameters, options, gradients and training (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('has the parameters of SSMKernelDPLR and S4Block, the SSM ones exempt from weight decay at lr 1e-3', () => {
    const { store } = build();
    expect(store.variables().map((p) => [p.name, p.variable.shape, p.decay, p.lr])).toEqual([
      ['mixer/invDt', [D], false, 1e-3],
      ['mixer/logAReal', [2, MODES], false, 1e-3],
      ['mixer/aImag', [2, MODES], false, 1e-3],
      ['mixer/P', [2, MODES, 2], false, 1e-3],
      ['mixer/B', [2, MODES, 2], false, 1e-3],
      ['mixer/cTilde', [2, D, MODES, 2], true, undefined],
      ['mixer/D', [D], true, undefined],
      ['mixer/output/kernel', [D, 2 * D], true, undefined],
      ['mixer/output/bias', [2 * D], true, undefined],
    ]);
    // HiPPO-LegS: Re Lambda = -1/2, -Im Lambda its eigenvalues; dt within [dtMin, dtMax].
    const params = readParams(store);
    const nplr = legsNplr(STATE);
    for (let m = 0; m < 2 * MODES; m++) {
      expect(params['mixer/logAReal']![m]).toBeCloseTo(Math.log(0.5), 6);
      expect(params['mixer/aImag']![m]).toBeCloseTo(-nplr.lambdaIm[m % MODES]!, 5);
    }
    for (const v of params['mixer/invDt']!) expect(softplus(v) >= 1e-3 * (1 - 1e-5) && softplus(v) <= 0.1 * (1 + 1e-5)).toBe(true);
    store.dispose();
    // nSsm null: one copy per channel; unidirectional: one output row of C~.
    const perChannel = build({ nSsm: null, bidirectional: false });
    expect(perChannel.store.get('mixer/P').shape).toEqual([D, MODES, 2]);
    expect(perChannel.store.get('mixer/cTilde').shape).toEqual([1, D, MODES, 2]);
    perChannel.store.dispose();
    // dtLr null: dt at the run's rate (ListOps' lr.dt: null), still without weight decay.
    const ownRates = build({ dtLr: null, ssmLr: 5e-4 });
    expect(ownRates.store.variables().slice(0, 3).map((p) => [p.name, p.decay, p.lr])).toEqual([
      ['mixer/invDt', false, undefined],
      ['mixer/logAReal', false, 5e-4],
      ['mixer/aImag', false, 5e-4],
    ]);
    ownRates.store.dispose();
  });

  it('Cauchy sums in chunks of nodes, recomputed for the gradient, equal the sums in one piece', () => {
    const rows = 3;
    const bins = 11;
    const left = tf.tensor3d(Float32Array.from(seededUniform('s4-left', D * rows * 2 * MODES)), [D, rows, 2 * MODES]);
    const wRe = tf.tensor2d(Float32Array.from(seededUniform('s4-wre', D * MODES, -2, -0.05)), [D, MODES]);
    const wIm = tf.tensor2d(Float32Array.from(seededUniform('s4-wim', D * MODES, -3, 3)), [D, MODES]);
    const angle = (k: number) => (-2 * Math.PI * k) / 20;
    const nodes = {
      aRe: Float32Array.from({ length: bins }, (_, k) => 2 * (1 - Math.cos(angle(k)))),
      aIm: Float32Array.from({ length: bins }, (_, k) => -2 * Math.sin(angle(k))),
      bRe: Float32Array.from({ length: bins }, (_, k) => 1 + Math.cos(angle(k))),
      bIm: Float32Array.from({ length: bins }, (_, k) => Math.sin(angle(k))),
    };
    const weights = tf.tensor4d(Float32Array.from(seededUniform('s4-cw', D * rows * 2 * bins)), [D, rows, 2, bins]);
    const run = (chunk: number) => {
      const f = (l: tf.Tensor, re: tf.Tensor, im: tf.Tensor) =>
        tf.sum(tf.mul(conjugatePairCauchy(l as tf.Tensor3D, re as tf.Tensor2D, im as tf.Tensor2D, nodes, chunk), weights));
      const before = tf.memory().numTensors;
      const grads = tf.grads(f)([left, wRe, wIm]);
      const value = tf.tidy(() => conjugatePairCauchy(left, wRe, wIm, nodes, chunk).dataSync());
      const out = { value, grads: grads.map((g) => g.dataSync()) };
      tf.dispose(grads);
      expect(tf.memory().numTensors).toBe(before);
      return out;
    };
    const whole = run(1 << 20);
    const chunked = run(3 * D * MODES); // 3 nodes a chunk: 4 chunks, the last one short
    expect(relativeError(chunked.value, whole.value)).toBeLessThan(1e-6);
    chunked.grads.forEach((g, i) => expect(relativeError(g, whole.grads[i]!)).toBeLessThan(1e-6));
    tf.dispose([left, wRe, wIm, weights]);
  });

  it('validates its options', () => {
    const args = { dModel: D, heads: 1, seqLen: N, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
    expect(s4.validate!(args, { ...s4.defaults, dState: 5 })).toBe('dState must be a positive even integer (conjugate pairs), got 5');
    expect(s4.validate!(args, { ...s4.defaults, dtMin: 0.2 })).toBe('need 0 < dtMin <= dtMax, got dtMin 0.2, dtMax 0.1');
    expect(s4.validate!(args, { ...s4.defaults, nSsm: 3 })).toBe('nSsm must be a positive integer dividing dModel 4, got 3');
    expect(s4.validate!(args, { ...s4.defaults, activationDropout: 1 })).toBe('activationDropout must be in [0, 1), got 1');
    expect(s4.validate!(args, { ...s4.defaults, ssmLr: 0 })).toBe('ssmLr must be positive, got 0');
    expect(s4.validate!(args, s4.defaults)).toBeNull();
    expect(s4.validate!(args, { ...s4.defaults, nSsm: null, dtLr: null })).toBeNull();
  });

  it('has gradients that match finite differences of the float64 mixer, input and every parameter', () => {
    const { store, mixer } = build();
    store.get('mixer/invDt').assign(tf.tensor1d(LONG_STEPS));
    const weights = seededUniform('s4-w', B * N * D).map((w, i) => (realPosition(i) ? w : 0));
    const w = tf.tensor3d(Float32Array.from(weights), [B, N, D]);
    const lossOf = (y: Float64Array) => y.reduce((sum, v, i) => sum + v * weights[i]!, 0);
    const loss = (x: tf.Tensor) => tf.sum(tf.mul(mixer.apply(x as tf.Tensor3D, maskTensor(), inferenceContext()), w)) as tf.Scalar;
    const params = readParams(store);
    assertGradcheck(loss, [xTensor()], { reference: (xs) => lossOf(s4Float64(params, xs, MASK, dims(N))), atol: 2e-4, rtol: 2e-3 });
    const checked = expectParamGradients(store, () => loss(xTensor()), (p) => lossOf(s4Float64(p, xValues, MASK, dims(N))), { atol: 2e-4, rtol: 2e-3 });
    expect(checked.length).toBe(store.variables().length);
    w.dispose();
    store.dispose();
  });

  it('applies its dropout only in training, with the context seeds', () => {
    const { store, mixer } = build({ activationDropout: 0.3 });
    const a = mixer.apply(xTensor(), null, trainingContext(1, 0)).dataSync();
    const b = mixer.apply(xTensor(), null, trainingContext(1, 0)).dataSync();
    const c = mixer.apply(xTensor(), null, trainingContext(1, 1)).dataSync();
    const clean = mixer.apply(xTensor(), null, inferenceContext()).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(Array.from(a)).not.toEqual(Array.from(clean));
    store.dispose();
  });

  it('ties its dropout masks over the positions with tieDropout (DropoutNd)', () => {
    const { store, mixer } = build({ activationDropout: 0.5, tieDropout: true });
    // With the output layer the identity on the value half and an open gate, a dropped channel
    // is zero at every position of its example.
    store.get('mixer/output/kernel').assign(tf.concat([tf.eye(D), tf.zeros([D, D])], 1));
    store.get('mixer/output/bias').assign(tf.concat([tf.zeros([D]), tf.fill([D], 30)]));
    const y = mixer.apply(xTensor(), null, trainingContext(5, 0)).arraySync() as number[][][];
    let dropped = 0;
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < D; c++) {
        const zeros = y[b]!.filter((row) => row[c] === 0).length;
        expect([0, N]).toContain(zeros);
        if (zeros === N) dropped++;
      }
    }
    expect(dropped).toBeGreaterThan(0);
    store.dispose();
  });

  it('leaves no tensors behind, inspect included', () => {
    const { store, mixer } = build({ activationDropout: 0.1 });
    const x = xTensor();
    const mask = maskTensor();
    expect(tensorsLeaked(mixer, x, mask, { context: (i) => trainingContext(3, i), shortInput: 5 })).toBe(0);
    const before = tf.memory().numTensors;
    const inspection = mixer.inspect!(x, mask, inferenceContext());
    expect(tf.memory().numTensors).toBe(before);
    const response = inspection.impulseResponses![0]!;
    expect([response.channels, response.length, response.firstOffset]).toEqual([D, 2 * N - 1, -(N - 1)]);
    const tied = build({ activationDropout: 0.1, tieDropout: true });
    expect(tensorsLeaked(tied.mixer, x, mask, { context: (i) => trainingContext(3, i) })).toBe(0);
    tied.store.dispose();
    tf.dispose([x, mask]);
    store.dispose();
  });

  it('the impulse response is the kernel plus D at lag 0', () => {
    const { store, mixer } = build();
    const response = mixer.inspect!(xTensor(), null, inferenceContext()).impulseResponses![0]!;
    const kernel = tf.tidy(() => s4Kernel(kernelParams(store), 'softplus', N, N).arraySync()) as number[][][];
    const skip = store.get('mixer/D').dataSync();
    for (let h = 0; h < D; h++) {
      const row = response.values.slice(h * (2 * N - 1), (h + 1) * (2 * N - 1));
      expect(row[N - 1]).toBeCloseTo(kernel[0]![h]![0]! + skip[h]!, 5);
      expect(row[N + 2]).toBeCloseTo(kernel[0]![h]![3]!, 5);
      expect(row[N - 3]).toBeCloseTo(kernel[1]![h]![1]!, 5); // lag -2: backward tap 1
    }
    store.dispose();
  });

  it("keeps float32 accuracy at ListOps' length: the kernel (N = 64, default dt) within 1e-5 of the float64 recurrence", () => {
    const length = 2001;
    const channels = 2;
    const state = 64;
    const store = new ParamStore(3);
    s4.create({ dModel: channels, heads: 1, seqLen: length, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0 }, { ...s4.defaults, dState: state });
    const params = readParams(store);
    const got = tf.tidy(() => s4Kernel(kernelParams(store), 'softplus', length, length).dataSync());
    const impulse = Float64Array.from({ length }, (_, t) => (t === 0 ? 1 : 0));
    const want = new Float64Array(2 * channels * length);
    for (let h = 0; h < channels; h++) {
      const system = channelSystem(params, 'mixer/', h, state / 2);
      for (let out = 0; out < 2; out++) {
        const c = outputRow(params, 'mixer/', system, out, h, channels, state / 2, length);
        want.set(runRecurrence(system, c.re, c.im, impulse, false), (out * channels + h) * length);
      }
    }
    expect(relativeError(got, want)).toBeLessThan(1e-5);
    store.dispose();
  });

  it('trains: a few dozen steps lower the loss on a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('s4', { dState: 16 }, { steps: 40 });
    expect(leaked).toBe(0);
    expect(lastLoss).toBeLessThan(firstLoss * 0.8);
  });
});
