import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { mamba, type MambaOptions } from '../../src/mixers/mamba.js';
import { associativeScan } from '../../src/mixers/mamba-scan.js';
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
const SMALL: Partial<MambaOptions> = { dState: 3, expand: 2, dConv: 3, dtRank: 2 };

function build(options: Partial<MambaOptions> = {}, seqLen = N, dModel = D) {
  const store = new ParamStore(31);
  const resolved: MambaOptions = { ...mamba.defaults, ...SMALL, ...options };
  const mixer = mamba.create(
    { dModel, heads: 1, seqLen, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0 },
    resolved,
  );
  return { store, mixer, options: resolved };
}

/** The recurrence h_t = a_t h_{t-1} + b_t run one step at a time in float64; a, b [B, L, W]. */
function sequentialScan(a: Float64Array, b: Float64Array, batch: number, length: number, width: number): Float64Array {
  const h = new Float64Array(a.length);
  for (let n = 0; n < batch; n++) {
    for (let w = 0; w < width; w++) {
      let state = 0;
      for (let t = 0; t < length; t++) {
        const i = (n * length + t) * width + w;
        state = a[i]! * state + b[i]!;
        h[i] = state;
      }
    }
  }
  return h;
}

const read = (store: ParamStore, name: string): Float64Array => Float64Array.from(store.get(name).dataSync());
const silu = (v: number): number => v / (1 + Math.exp(-v));
const softplus = (v: number): number => (v > 20 ? v : Math.log1p(Math.exp(v)));

/** y [L, cols] = x [L, rows] @ w [rows, cols] (+ bias). */
function matmul(x: Float64Array, w: Float64Array, rows: number, cols: number, bias?: Float64Array): Float64Array {
  const length = x.length / rows;
  const y = new Float64Array(length * cols);
  for (let t = 0; t < length; t++)
    for (let c = 0; c < cols; c++) {
      let s = bias ? bias[c]! : 0;
      for (let r = 0; r < rows; r++) s += x[t * rows + r]! * w[r * cols + c]!;
      y[t * cols + c] = s;
    }
  return y;
}

/**
 * One direction of the block in float64, as selective_scan_ref, for one sequence x [L, E]
 * (padded steps already zeroed) with keep [L]: causal conv + SiLU, x_proj, dt_proj + softplus,
 * then the recurrence one step at a time.
 */
function referenceBranch(store: ParamStore, dir: string, xIn: Float64Array, keep: Float64Array, o: MambaOptions, inner: number): Float64Array {
  const length = keep.length;
  const p = (n: string) => read(store, `mixer/${dir}/${n}`);
  const convK = p('conv/kernel');
  const convB = p('conv/bias');
  const x = new Float64Array(length * inner);
  for (let t = 0; t < length; t++)
    for (let e = 0; e < inner; e++) {
      let s = convB[e]!;
      for (let k = 0; k < o.dConv; k++) {
        const src = t - (o.dConv - 1) + k;
        if (src >= 0) s += convK[k * inner + e]! * xIn[src * inner + e]!;
      }
      x[t * inner + e] = silu(s);
    }
  const rank = o.dtRank!;
  const proj = matmul(x, p('xProj/kernel'), inner, rank + 2 * o.dState);
  const width = rank + 2 * o.dState;
  const dtLow = new Float64Array(length * rank);
  for (let t = 0; t < length; t++) for (let r = 0; r < rank; r++) dtLow[t * rank + r] = proj[t * width + r]!;
  const delta = matmul(dtLow, p('dtProj/kernel'), rank, inner, p('dtProj/bias')).map((v, i) => softplus(v) * keep[Math.floor(i / inner)]!);
  const aLog = p('aLog');
  const skip = p('D');
  const y = new Float64Array(length * inner);
  for (let e = 0; e < inner; e++) {
    const h = new Float64Array(o.dState);
    for (let t = 0; t < length; t++) {
      const dt = delta[t * inner + e]!;
      let out = 0;
      for (let s = 0; s < o.dState; s++) {
        const bt = proj[t * width + rank + s]!;
        const ct = proj[t * width + rank + o.dState + s]!;
        h[s] = Math.exp(-dt * Math.exp(aLog[e * o.dState + s]!)) * h[s]! + dt * bt * x[t * inner + e]!;
        out += ct * h[s]!;
      }
      y[t * inner + e] = out + skip[e]! * x[t * inner + e]!;
    }
  }
  return y;
}

function referenceMixer(store: ParamStore, x: Float64Array, mask: Float64Array | null, o: MambaOptions, batch: number, length: number): Float64Array {
  const inner = o.expand * D;
  const out = new Float64Array(batch * length * D);
  for (let n = 0; n < batch; n++) {
    const rows = x.subarray(n * length * D, (n + 1) * length * D);
    const keep = mask ? mask.subarray(n * length, (n + 1) * length) : new Float64Array(length).fill(1);
    const xz = matmul(rows, read(store, 'mixer/inProj/kernel'), D, 2 * inner);
    const xIn = new Float64Array(length * inner);
    const z = new Float64Array(length * inner);
    for (let t = 0; t < length; t++)
      for (let e = 0; e < inner; e++) {
        xIn[t * inner + e] = xz[t * 2 * inner + e]! * keep[t]!;
        z[t * inner + e] = xz[t * 2 * inner + inner + e]!;
      }
    const y = referenceBranch(store, 'forward', xIn, keep, o, inner);
    if (o.bidirectional) {
      const flip = (v: Float64Array, w: number) => {
        const r = new Float64Array(v.length);
        for (let t = 0; t < length; t++) for (let c = 0; c < w; c++) r[t * w + c] = v[(length - 1 - t) * w + c]!;
        return r;
      };
      const back = flip(referenceBranch(store, 'backward', flip(xIn, inner), flip(keep, 1), o, inner), inner);
      y.forEach((v, i) => (y[i] = (v + back[i]!) / 2));
    }
    const gated = y.map((v, i) => v * silu(z[i]!));
    out.set(matmul(gated, read(store, 'mixer/outProj/kernel'), inner, D), n * length * D);
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, keep?: (i: number) => boolean): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) if (!keep || keep(i)) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

const MASK = Float64Array.from([1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
const realPosition = (i: number): boolean => MASK[Math.floor(i / D)] === 1;
const xValues = seededUniform('mamba-x', B * N * D, -1.5, 1.5);
const xTensor = (): tf.Tensor3D => tf.tensor3d(Float32Array.from(xValues), [B, N, D]);
const maskTensor = (): tf.Tensor2D => tf.tensor2d(Float32Array.from(MASK), [B, N]);

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`mamba on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    it('parallel scan equals the sequential loop at every length', () => {
      const width = 3;
      for (const length of [1, 2, 3, 4, 5, 7, 8, 13, 16, 33, 65]) {
        const a = seededUniform(`scan-a-${length}`, B * length * width, 0.2, 1.1);
        const b = seededUniform(`scan-b-${length}`, B * length * width);
        const got = tf.tidy(() =>
          associativeScan(tf.tensor3d(Float32Array.from(a), [B, length, width]), tf.tensor3d(Float32Array.from(b), [B, length, width])).dataSync(),
        );
        const want = sequentialScan(a, b, B, length, width);
        const scale = Math.max(1, ...Array.from(want, Math.abs));
        expect(maxAbsDiff(got, want) / scale, `length ${length}`).toBeLessThan(1e-5);
      }
    });

    for (const bidirectional of [false, true]) {
      it(`matches the float64 selective scan run step by step (bidirectional ${bidirectional})`, () => {
        const { store, mixer, options } = build({ bidirectional });
        const y = mixer.apply(xTensor(), maskTensor(), inferenceContext()).dataSync();
        expect(maxAbsDiff(y, referenceMixer(store, xValues, MASK, options, B, N), realPosition)).toBeLessThan(2e-5);
        const unmasked = mixer.apply(xTensor(), null, inferenceContext()).dataSync();
        expect(maxAbsDiff(unmasked, referenceMixer(store, xValues, null, options, B, N))).toBeLessThan(2e-5);
        store.dispose();
      });
    }

    it('treats trailing padding as absent and is causal without the backward scan', () => {
      const { store, mixer } = build();
      const changed = Float32Array.from(xValues);
      for (let t = 5; t < N; t++) for (let c = 0; c < D; c++) changed[t * D + c] = 40 * (c + 1);
      const a = mixer.apply(xTensor(), maskTensor(), inferenceContext()).dataSync();
      const b = mixer.apply(tf.tensor3d(changed, [B, N, D]), maskTensor(), inferenceContext()).dataSync();
      expect(maxAbsDiff(a, b, realPosition)).toBe(0);
      // The padded row equals the same row cut to its 5 real tokens.
      const cut = tf.tensor3d(Float32Array.from(xValues.subarray(0, 5 * D)), [1, 5, D]);
      const short = mixer.apply(cut, null, inferenceContext()).dataSync();
      expect(maxAbsDiff(short, a.subarray(0, 5 * D))).toBeLessThan(1e-6);
      store.dispose();

      const causal = build({ bidirectional: false });
      const later = Float32Array.from(xValues);
      for (let c = 0; c < D; c++) later[(N - 1) * D + c] += 1;
      const c0 = causal.mixer.apply(xTensor(), null, inferenceContext()).dataSync();
      const c1 = causal.mixer.apply(tf.tensor3d(later, [B, N, D]), null, inferenceContext()).dataSync();
      expect(maxAbsDiff(c0, c1, (i) => Math.floor(i / D) % N < N - 1)).toBe(0);
      expect(maxAbsDiff(c0, c1)).toBeGreaterThan(1e-4);
      causal.store.dispose();
    });

    it('takes any length, odd and LRA lengths included', () => {
      const { store, mixer } = build({ dState: 2, expand: 1 }, 2001);
      for (const length of [1, 2, 9, 65, 1025, 2001]) {
        const y = tf.tidy(() => mixer.apply(tf.randomNormal([1, length, D], 0, 1, 'float32', 5), null, inferenceContext()));
        expect(y.shape).toEqual([1, length, D]);
        expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
        y.dispose();
      }
      store.dispose();
    });

    it('initialises as the paper: A = -(1..N), D = 1, softplus(dt bias) in [dtMin, dtMax]; A and D not decayed', () => {
      const { store, options } = build();
      const aLog = read(store, 'mixer/forward/aLog');
      expect(Array.from(aLog.slice(0, 3), Math.exp).map((v) => Math.round(v * 1e5) / 1e5)).toEqual([1, 2, 3]);
      expect(Array.from(read(store, 'mixer/forward/D'))).toEqual(new Array(options.expand * D).fill(1));
      for (const b of read(store, 'mixer/forward/dtProj/bias')) {
        const dt = softplus(b);
        expect(dt >= 1e-3 * 0.999 && dt <= 1e-1 * 1.001).toBe(true);
      }
      const undecayed = store.variables().filter((p) => !p.decay).map((p) => p.name);
      expect(undecayed).toEqual(['mixer/forward/aLog', 'mixer/forward/D', 'mixer/backward/aLog', 'mixer/backward/D']);
      store.dispose();
    });

    it('validates its options', () => {
      const args = { dModel: 64, heads: 1, seqLen: N, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
      expect(mamba.validate!(args, { ...mamba.defaults, dState: 0 })).toBe('dState must be a positive integer, got 0');
      expect(mamba.validate!(args, { ...mamba.defaults, dtRank: 1.5 })).toBe('dtRank must be a positive integer, got 1.5');
      expect(mamba.validate!(args, mamba.defaults)).toBeNull();
    });
  });
}

describe('mamba gradients and training (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('has gradients that match finite differences for the input and every parameter', () => {
    const { store, mixer } = build();
    // Larger steps than the initial ones, so that the state carries across several tokens.
    store.get('mixer/forward/dtProj/bias').assign(tf.fill([2 * D], 0.5));
    store.get('mixer/backward/dtProj/bias').assign(tf.fill([2 * D], -0.5));
    const weights = tf.tensor3d(Float32Array.from(seededUniform('mamba-w', B * N * D), (w, i) => (realPosition(i) ? w : 0)), [B, N, D]);
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
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('mamba', {}, { steps: 40 });
    expect(leaked).toBe(0);
    expect(lastLoss).toBeLessThan(firstLoss * 0.8);
  });
});
