import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { readFileSync } from 'node:fs';
import { legsNplr } from '../../src/mixers/hippo.js';
import { s4d, s4dConvolution, s4dImagInit, type S4dKernelParams, type S4dOptions } from '../../src/mixers/s4d.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { paramGradcheck } from './support/param-gradcheck.js';
import { trainsOnSyntheticTask } from './support/trains.js';
import { tensorsLeaked } from './support/leaks.js';

const B = 2;
const N = 7;
const D = 4;
const STATE = 6;

function build(options: Partial<S4dOptions> = {}, dModel = D, seqLen = N, seed = 23) {
  const store = new ParamStore(seed);
  const resolved: S4dOptions = { ...s4d.defaults, dState: STATE, ...options };
  const mixer = s4d.create(
    { dModel, heads: 1, seqLen, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0 },
    resolved,
  );
  return { store, mixer };
}

const read = (store: ParamStore, name: string): Float64Array => Float64Array.from(store.get(name).dataSync());

interface KernelValues {
  logDt: Float64Array;
  logAReal: Float64Array;
  aImag: Float64Array;
  cRe: Float64Array;
  cIm: Float64Array;
}

function kernelValues(store: ParamStore, direction: string): KernelValues {
  const at = (n: string) => read(store, `mixer/${direction}/${n}`);
  return { logDt: at('logDt'), logAReal: at('logAReal'), aImag: at('aImag'), cRe: at('cRe'), cIm: at('cIm') };
}

/**
 * The ZOH recurrence in float64, run step by step: h_t = exp(dt A) h_{t-1} + Bbar u_t with
 * Bbar = (exp(dt A) - 1) / A (B = 1), y_t = 2 Re(C h_t). With `reverse`, it runs from the end
 * and position t reads the state after t + 1 (strictly later inputs).
 */
function recurrence(p: KernelValues, u: Float64Array, batch: number, channels: number, length: number, reverse: boolean): Float64Array {
  const modes = p.cRe.length / channels;
  const y = new Float64Array(batch * channels * length);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < channels; h++) {
      const dt = Math.exp(p.logDt[h]!);
      for (let n = 0; n < modes; n++) {
        const aRe = -Math.exp(p.logAReal[h * modes + n]!);
        const aIm = p.aImag[h * modes + n]!;
        const zRe = Math.exp(dt * aRe) * Math.cos(dt * aIm);
        const zIm = Math.exp(dt * aRe) * Math.sin(dt * aIm);
        const norm = aRe * aRe + aIm * aIm;
        const bRe = ((zRe - 1) * aRe + zIm * aIm) / norm;
        const bIm = (zIm * aRe - (zRe - 1) * aIm) / norm;
        const cRe = p.cRe[h * modes + n]!;
        const cIm = p.cIm[h * modes + n]!;
        let sRe = 0;
        let sIm = 0;
        for (let step = 0; step < length; step++) {
          const t = reverse ? length - 1 - step : step;
          if (reverse) y[(b * channels + h) * length + t] += 2 * (cRe * sRe - cIm * sIm);
          const ut = u[(b * channels + h) * length + t]!;
          const nRe = zRe * sRe - zIm * sIm + bRe * ut;
          const nIm = zRe * sIm + zIm * sRe + bIm * ut;
          sRe = nRe;
          sIm = nIm;
          if (!reverse) y[(b * channels + h) * length + t] += 2 * (cRe * sRe - cIm * sIm);
        }
      }
    }
  }
  return y;
}

// Abramowitz and Stegun 7.1.26 (error under 1.5e-7), enough against float32.
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return Math.sign(x) * (1 - poly * Math.exp(-x * x));
}

/** The whole mixer in float64: masked input, SSM convolution(s), D skip, GELU, Conv1d + GLU. */
function referenceMixer(store: ParamStore, x: Float64Array, mask: Float64Array | null, batch: number, length: number, bidirectional: boolean): Float64Array {
  const u = new Float64Array(batch * D * length);
  for (let b = 0; b < batch; b++)
    for (let t = 0; t < length; t++)
      for (let h = 0; h < D; h++) u[(b * D + h) * length + t] = x[(b * length + t) * D + h]! * (mask ? mask[b * length + t]! : 1);
  const y = recurrence(kernelValues(store, 'forward'), u, batch, D, length, false);
  if (bidirectional) {
    const back = recurrence(kernelValues(store, 'backward'), u, batch, D, length, true);
    back.forEach((v, i) => (y[i] += v));
  }
  const skip = read(store, 'mixer/D');
  const kernel = read(store, 'mixer/output/kernel');
  const bias = read(store, 'mixer/output/bias');
  const out = new Float64Array(batch * length * D);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < length; t++) {
      const act = new Float64Array(D);
      for (let h = 0; h < D; h++) {
        const v = y[(b * D + h) * length + t]! + skip[h]! * u[(b * D + h) * length + t]!;
        act[h] = 0.5 * v * (1 + erf(v / Math.SQRT2));
      }
      for (let c = 0; c < D; c++) {
        let value = bias[c]!;
        let gate = bias[D + c]!;
        for (let h = 0; h < D; h++) {
          value += act[h]! * kernel[h * 2 * D + c]!;
          gate += act[h]! * kernel[h * 2 * D + D + c]!;
        }
        out[(b * length + t) * D + c] = value / (1 + Math.exp(-gate));
      }
    }
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, keep?: (i: number) => boolean): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) if (!keep || keep(i)) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

// Row 0: the last two positions are padding; row 1: all real.
const MASK = Float64Array.from([1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
const realPosition = (i: number): boolean => MASK[Math.floor(i / D)] === 1;
const xValues = seededUniform('s4d-x', B * N * D, -1.5, 1.5);
const xTensor = (): tf.Tensor3D => tf.tensor3d(Float32Array.from(xValues), [B, N, D]);
const maskTensor = (): tf.Tensor2D => tf.tensor2d(Float32Array.from(MASK), [B, N]);

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`s4d on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    for (const bidirectional of [false, true]) {
      it(`convolution equals the ZOH recurrence run step by step (bidirectional ${bidirectional})`, () => {
        const { store } = build({ bidirectional });
        const param = (dir: string, n: string) => store.get(`mixer/${dir}/${n}`);
        const params = (dir: string): S4dKernelParams => ({
          logDt: param(dir, 'logDt'),
          logAReal: param(dir, 'logAReal'),
          aImag: param(dir, 'aImag'),
          cRe: param(dir, 'cRe'),
          cIm: param(dir, 'cIm'),
        });
        // Larger step sizes than the default make the kernel long and oscillating.
        store.get('mixer/forward/logDt').assign(tf.tensor1d([-0.5, -1, -2, -4]));
        for (const length of [1, N, 16]) {
          const u = seededUniform(`s4d-u-${length}`, B * D * length);
          const got = tf.tidy(() =>
            s4dConvolution(params('forward'), bidirectional ? params('backward') : null, tf.tensor3d(Float32Array.from(u), [B, D, length])).dataSync(),
          );
          const want = recurrence(kernelValues(store, 'forward'), u, B, D, length, false);
          if (bidirectional) recurrence(kernelValues(store, 'backward'), u, B, D, length, true).forEach((v, i) => (want[i] += v));
          expect(maxAbsDiff(got, want), `length ${length}`).toBeLessThan(2e-5);
        }
        store.dispose();
      });
    }

    it('matches the float64 mixer and ignores padded positions', () => {
      const { store, mixer } = build();
      const y = mixer.apply(xTensor(), maskTensor(), inferenceContext()).dataSync();
      const want = referenceMixer(store, xValues, MASK, B, N, true);
      expect(maxAbsDiff(y, want, realPosition)).toBeLessThan(2e-5);
      const changed = Float32Array.from(xValues);
      for (let t = 5; t < N; t++) for (let c = 0; c < D; c++) changed[t * D + c] = 50 * (c + 1);
      const y2 = mixer.apply(tf.tensor3d(changed, [B, N, D]), maskTensor(), inferenceContext()).dataSync();
      expect(maxAbsDiff(y2, y, realPosition)).toBe(0);
      // Without a mask every position is real.
      const unmasked = mixer.apply(xTensor(), null, inferenceContext()).dataSync();
      expect(maxAbsDiff(unmasked, referenceMixer(store, xValues, null, B, N, true))).toBeLessThan(2e-5);
      store.dispose();
    });

    it('is causal without the backward kernel', () => {
      const { store, mixer } = build({ bidirectional: false });
      const changed = Float32Array.from(xValues);
      for (let c = 0; c < D; c++) changed[(N - 1) * D + c] += 1;
      const a = mixer.apply(xTensor(), null, inferenceContext()).dataSync();
      const b = mixer.apply(tf.tensor3d(changed, [B, N, D]), null, inferenceContext()).dataSync();
      // Within rounding: the FFT spreads float32 rounding errors over every position.
      expect(maxAbsDiff(a, b, (i) => Math.floor(i / D) % N < N - 1)).toBeLessThan(1e-6);
      expect(maxAbsDiff(a, b)).toBeGreaterThan(1e-4);
      store.dispose();
    });

    it('takes any length, odd and LRA lengths included', () => {
      const { store, mixer } = build({ dState: 8 }, 4, 2001);
      for (const length of [1, 2, 9, 65, 1025, 2001]) {
        const y = tf.tidy(() => mixer.apply(tf.randomNormal([1, length, 4], 0, 1, 'float32', 3), null, inferenceContext()));
        expect(y.shape).toEqual([1, length, 4]);
        expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
        y.dispose();
      }
      store.dispose();
    });

    it('has the parameters of s4d.py, SSM parameters exempt from weight decay', () => {
      const { store } = build();
      expect(store.variables().map((p) => [p.name, p.variable.shape, p.decay])).toEqual([
        ...['forward', 'backward'].flatMap((dir) => [
          [`mixer/${dir}/logDt`, [D], false],
          [`mixer/${dir}/logAReal`, [D, STATE / 2], false],
          [`mixer/${dir}/aImag`, [D, STATE / 2], false],
          [`mixer/${dir}/cRe`, [D, STATE / 2], true],
          [`mixer/${dir}/cIm`, [D, STATE / 2], true],
        ]),
        ['mixer/D', [D], true],
        ['mixer/output/kernel', [D, 2 * D], true],
        ['mixer/output/bias', [2 * D], true],
      ]);
      // S4D-Lin: A = -1/2 + i pi n; log dt within [log 1e-3, log 1e-1].
      expect(Array.from(read(store, 'mixer/forward/aImag').slice(0, 3))).toEqual([0, Math.fround(Math.PI), Math.fround(2 * Math.PI)]);
      expect(read(store, 'mixer/forward/logAReal')[0]).toBeCloseTo(Math.log(0.5), 6);
      for (const v of read(store, 'mixer/forward/logDt')) expect(v >= Math.log(1e-3) - 1e-6 && v <= Math.log(1e-1) + 1e-6).toBe(true);
      store.dispose();
    });

    it('validates its options', () => {
      const args = { dModel: D, heads: 1, seqLen: N, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
      expect(s4d.validate!(args, { ...s4d.defaults, dState: 5 })).toBe('dState must be a positive even integer (conjugate pairs), got 5');
      expect(s4d.validate!(args, { ...s4d.defaults, dtMin: 0.2 })).toBe('need 0 < dtMin <= dtMax, got dtMin 0.2, dtMax 0.1');
      expect(s4d.validate!(args, s4d.defaults)).toBeNull();
    });
  });
}

describe('s4d initialisations', () => {
  // dplr()'s imaginary parts for N = 8, from the numpy port (scripts/fixtures/s4_reference.py).
  const reference = (JSON.parse(readFileSync(new URL('../fixtures/mixers/s4-reference.json', import.meta.url), 'utf8')) as { s4dImag: Record<string, number[]> }).s4dImag;

  it('has the imaginary parts of S4D-Lin, S4D-Inv and S4D-LegS', () => {
    for (const init of ['lin', 'inv', 'legs'] as const) {
      const got = s4dImagInit(init, 8);
      reference[init]!.forEach((want, n) => expect(got[n], `${init} ${n}`).toBeCloseTo(want, 9));
    }
    const size = 64;
    const inv = s4dImagInit('inv', size);
    const lin = s4dImagInit('lin', size);
    for (const n of [0, 1, 17, 31]) {
      expect(inv[n]).toBeCloseTo((size / Math.PI) * (size / (2 * n + 1) - 1), 10);
      expect(lin[n]).toBeCloseTo(Math.PI * n, 12);
    }
    // LegS: the eigenvalues of HiPPO-LegS's normal part, the diagonal of S4's DPLR form.
    expect(Array.from(s4dImagInit('legs', size))).toEqual(Array.from(legsNplr(size).lambdaIm, (v) => -v));
  });

  it("initialises aImag by `init`, and folds LegS's B into C (same draws scaled by |B_n|)", async () => {
    await selectBackend('wasm');
    const lin = build({ init: 'lin' });
    for (const init of ['inv', 'legs'] as const) {
      const other = build({ init });
      expect(Array.from(read(other.store, 'mixer/forward/aImag').slice(0, STATE / 2))).toEqual(Array.from(s4dImagInit(init, STATE), (v) => Math.fround(v)));
      const nplr = legsNplr(STATE);
      const cLin = read(lin.store, 'mixer/backward/cIm');
      const cOther = read(other.store, 'mixer/backward/cIm');
      cOther.forEach((v, i) => {
        const n = i % (STATE / 2);
        const scale = init === 'legs' ? Math.hypot(nplr.bRe[n]!, nplr.bIm[n]!) : 1;
        expect(v).toBeCloseTo(cLin[i]! * scale, 5);
      });
      other.store.dispose();
    }
    lin.store.dispose();
  });
});

describe('s4d gradients and training (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });
  afterAll(() => undefined);

  it('has gradients that match finite differences for the input and every parameter', () => {
    const { store, mixer } = build();
    // Longer steps than the default so that the kernel and its parameters matter at N = 7.
    store.get('mixer/forward/logDt').assign(tf.tensor1d([-0.5, -1, -1.5, -2]));
    store.get('mixer/backward/logDt').assign(tf.tensor1d([-1, -0.7, -2, -0.3]));
    const weights = tf.tensor3d(Float32Array.from(seededUniform('s4d-w', B * N * D), (w, i) => (realPosition(i) ? w : 0)), [B, N, D]);
    const loss = (x: tf.Tensor) => tf.sum(tf.mul(mixer.apply(x as tf.Tensor3D, maskTensor(), inferenceContext()), weights)) as tf.Scalar;
    assertGradcheck(loss, [xTensor()], { eps: 1e-2, atol: 2e-3, rtol: 2e-2 });
    expect(paramGradcheck(store, () => loss(xTensor()))).toEqual([]);
    store.dispose();
  });

  it('leaves no tensors behind', () => {
    const { store, mixer } = build();
    const x = xTensor();
    const mask = maskTensor();
    expect(tensorsLeaked(mixer, x, mask, { context: (i) => inferenceContext() })).toBe(0);
    store.dispose();
  });

  it('trains: a few dozen steps lower the loss on a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('s4d', { dState: 16 }, { steps: 40 });
    expect(leaked).toBe(0);
    expect(lastLoss).toBeLessThan(firstLoss * 0.8);
  });
});
