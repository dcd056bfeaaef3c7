import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { hyena, hyenaFilterTables, type HyenaOptions } from '../../src/mixers/hyena.js';
import { getMixer } from '../../src/mixers/registry.js';
import type { Mixer } from '../../src/mixers/types.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { trainsOnSyntheticTask } from './support/trains.js';
import { denseLayer, expectParamGradients, maxAbsDiff, readParams } from './spectral-reference.js';

const B = 2;
const D = 4;

function build(options: Partial<HyenaOptions> = {}, seqLen = 7, dModel = D, hasCls = false) {
  const store = new ParamStore(53);
  const resolved = { ...hyena.defaults, filterWidth: 8, ...options };
  const args = { dModel, heads: 2, seqLen, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0, hasCls };
  expect(hyena.validate!(args, resolved)).toBeNull();
  return { store, mixer: hyena.create(args, resolved) as Mixer, options: resolved };
}

/** numpy.convolve(u, k)[:n]: sum over s <= t of k[s] u[t - s]. */
function causalConvolution(u: Float64Array, k: Float64Array): Float64Array {
  const out = new Float64Array(u.length);
  for (let t = 0; t < u.length; t++) for (let s = 0; s <= t; s++) out[t]! += k[s]! * u[t - s]!;
  return out;
}

/** The Hyena operator in float64 with DIRECT convolutions, from safari's standalone_hyena.py. */
function reference(
  x: ArrayLike<number>,
  mask: ArrayLike<number> | null,
  params: Record<string, Float64Array>,
  options: HyenaOptions,
  n: number,
  seqLen: number,
): Float64Array {
  const p = (name: string) => params[`mixer/${name}`]!;
  const inner = 3 * D;
  const width = options.filterWidth;
  // Implicit filter k [n, D]: positional code through Linear + sin(freq * .) layers, then decay.
  const t = (i: number) => (seqLen === 1 ? 0 : i / (seqLen - 1));
  const z = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    const w = (2 * Math.PI * i) / seqLen;
    z.set([t(i), Math.cos(1e-4 * w), -Math.sin(1e-4 * w)], i * 3);
  }
  const sine = (h: Float64Array) => h.map((v, i) => Math.sin(p('filter/frequency')[i % width]! * v));
  let h = sine(denseLayer(z, n, p('filter/input/kernel'), 3, width, p('filter/input/bias')));
  for (let l = 0; l < options.filterInnerLayers; l++) {
    h = sine(denseLayer(h, n, p(`filter/inner${l}/kernel`), width, width, p(`filter/inner${l}/bias`)));
  }
  // Two-sided: 2D filters, the last D over later positions, each decaying as its causal twin.
  const filters = options.bidirectional ? 2 * D : D;
  const k = denseLayer(h, n, p('filter/output/kernel'), width, filters);
  const slow = Math.log(1e-2) / 1.5;
  const fast = Math.log(1e-2) / 0.3;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < filters; c++) k[i * filters + c]! *= Math.exp(-t(i) * Math.abs(slow + ((fast - slow) * (c % D)) / (D - 1)));
  }

  const out = new Float64Array(B * n * D);
  for (let b = 0; b < B; b++) {
    const real = (i: number) => (mask ? mask[b * n + i]! : 1);
    const u = denseLayer(Array.from({ length: n * D }, (_, i) => x[b * n * D + i]!), n, p('inProj/kernel'), D, inner, p('inProj/bias'));
    for (let i = 0; i < n * inner; i++) u[i]! *= real(Math.floor(i / inner));
    // Depthwise causal conv, kernel 3: s[t] = bias + w0 u[t-2] + w1 u[t-1] + w2 u[t].
    const s = new Float64Array(n * inner);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < inner; c++) {
        let sum = p('shortConv/bias')[c]!;
        for (let j = 0; j < 3; j++) {
          const source = i - 2 + j;
          if (source >= 0) sum += p('shortConv/kernel')[j * inner + c]! * u[source * inner + c]!;
        }
        s[i * inner + c] = sum;
      }
    }
    const gatedOut = new Float64Array(n * D);
    for (let c = 0; c < D; c++) {
      const v = Float64Array.from({ length: n }, (_, i) => s[i * inner + 2 * D + c]! * s[i * inner + D + c]! * real(i));
      const kc = Float64Array.from({ length: n }, (_, i) => k[i * filters + c]!);
      const long = causalConvolution(v, kc);
      if (options.bidirectional) {
        // sum over s > t of h1[s - t - 1] v[s], written out.
        for (let i = 0; i < n; i++) for (let s = i + 1; s < n; s++) long[i]! += k[(s - i - 1) * filters + D + c]! * v[s]!;
      }
      for (let i = 0; i < n; i++) gatedOut[i * D + c] = (long[i]! + p('filter/skip')[c]! * v[i]!) * s[i * inner + c]!;
    }
    out.set(denseLayer(gatedOut, n, p('outProj/kernel'), D, D, p('outProj/bias')), b * n * D);
  }
  return out;
}

function run(mixer: Mixer, values: ArrayLike<number>, mask: ArrayLike<number> | null, n: number): Float32Array {
  return tf.tidy(() => {
    const m = mask ? tf.tensor2d(Float32Array.from(mask), [B, n]) : null;
    return mixer.apply(tf.tensor3d(Float32Array.from(values), [B, n, D]), m, inferenceContext()).dataSync() as Float32Array;
  });
}

describe('hyena', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    for (const n of [7, 8]) {
      it(`its FFT convolution path equals direct convolution (numpy.convolve(u, k)[:N]), N ${n}, with a mask (${backend})`, async () => {
        await selectBackend(backend);
        const { store, mixer, options } = build({}, n);
        const values = seededUniform(`hyena-${n}`, B * n * D, -1.5, 1.5);
        const mask = Float64Array.from({ length: B * n }, (_, i) => (i === 2 || i === n - 1 ? 0 : 1));
        const expected = reference(values, mask, readParams(store), options, n, n);
        expect(maxAbsDiff(run(mixer, values, mask, n), expected)).toBeLessThan(5e-5);
        store.dispose();
      });
    }
  }

  it('is causal, and padding (anywhere) does not reach real positions', async () => {
    await selectBackend('wasm');
    const n = 9;
    const { store, mixer } = build({}, n);
    const values = seededUniform('hyena-causal', B * n * D);
    const a = run(mixer, values, null, n);
    const later = Float64Array.from(values, (v, i) => (Math.floor(i / D) % n >= 6 ? v + 1 : v));
    const b = run(mixer, later, null, n);
    // Equal up to the FFT's rounding (the later values take part in the transform with weight 0).
    const earlier = (i: number) => Math.floor(i / D) % n < 6;
    const atEarlier = (y: Float32Array) => y.filter((_, i) => earlier(i));
    expect(maxAbsDiff(atEarlier(a), atEarlier(b))).toBeLessThan(1e-6);
    expect(maxAbsDiff(a, b)).toBeGreaterThan(1e-2);
    // A padded position in the middle: its contents change nothing at real positions.
    const mask = Float64Array.from({ length: B * n }, (_, i) => (i % n === 3 ? 0 : 1));
    const changed = Float64Array.from(values, (v, i) => (Math.floor(i / D) % n === 3 ? 25 : v));
    const c = run(mixer, values, mask, n);
    const d = run(mixer, changed, mask, n);
    const real = (y: Float32Array) => y.filter((_, i) => Math.floor(i / D) % n !== 3);
    expect(maxAbsDiff(real(c), real(d))).toBeLessThan(1e-6);
    store.dispose();
  });

  it('lets a CLS token in front read the whole sequence (moved last while it runs), unless told otherwise', async () => {
    await selectBackend('wasm');
    const n = 7;
    const values = seededUniform('hyena-cls', B * n * D);
    const mask = Float64Array.from({ length: B * n }, (_, i) => (i === n - 1 ? 0 : 1));
    /** Position 0 of each example moved to the end (forward) or back to the front. */
    const rotate = (v: ArrayLike<number>, width: number, forward: boolean): Float64Array => {
      const out = new Float64Array(v.length);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < n; t++) {
          const to = forward ? (t + n - 1) % n : (t + 1) % n;
          for (let c = 0; c < width; c++) out[(b * n + to) * width + c] = v[(b * n + t) * width + c]!;
        }
      }
      return out;
    };
    const { store, mixer, options } = build({}, n, D, true);
    const expected = rotate(reference(rotate(values, D, true), rotate(mask, 1, true), readParams(store), options, n, n), D, false);
    expect(maxAbsDiff(run(mixer, values, mask, n), expected)).toBeLessThan(5e-5);
    store.dispose();
    const first = build({ clsPosition: 'first' }, n, D, true);
    const plain = reference(values, mask, readParams(first.store), first.options, n, n);
    expect(maxAbsDiff(run(first.mixer, values, mask, n), plain)).toBeLessThan(5e-5);
    // In front, the CLS output depends on nothing after it; moved last, it does.
    const changed = Float64Array.from(values, (v, i) => (i % (n * D) >= D ? v + 0.5 : v));
    const cls = (y: Float32Array) => y.filter((_, i) => i % (n * D) < D);
    expect(maxAbsDiff(cls(run(first.mixer, changed, mask, n)), cls(run(first.mixer, values, mask, n)))).toBeLessThan(1e-6);
    first.store.dispose();
    const last = build({}, n, D, true);
    expect(maxAbsDiff(cls(run(last.mixer, changed, mask, n)), cls(run(last.mixer, values, mask, n)))).toBeGreaterThan(1e-3);
    last.store.dispose();
  });

  it('two-sided (bidirectional): position 0 depends on later positions, and the FFT path equals direct convolution', async () => {
    await selectBackend('wasm');
    const n = 8;
    const { store, mixer, options } = build({ bidirectional: true, clsPosition: 'first' }, n);
    const values = seededUniform('hyena-two-sided', B * n * D, -1.5, 1.5);
    const mask = Float64Array.from({ length: B * n }, (_, i) => (i === n + 2 || i === 2 * n - 1 ? 0 : 1));
    expect(maxAbsDiff(run(mixer, values, mask, n), reference(values, mask, readParams(store), options, n, n))).toBeLessThan(5e-5);
    // A change at later positions reaches position 0; in the causal operator it does not.
    const later = Float64Array.from(values, (v, i) => (Math.floor(i / D) % n > 0 ? v + 1 : v));
    const first = (y: Float32Array) => y.filter((_, i) => Math.floor(i / D) % n === 0);
    expect(maxAbsDiff(first(run(mixer, later, null, n)), first(run(mixer, values, null, n)))).toBeGreaterThan(1e-3);
    const causal = build({ clsPosition: 'first' }, n);
    expect(maxAbsDiff(first(run(causal.mixer, later, null, n)), first(run(causal.mixer, values, null, n)))).toBeLessThan(1e-6);
    causal.store.dispose();
    expect(store.get('mixer/filter/output/kernel').shape).toEqual([8, 2 * D]);
    const view = mixer.inspect!(tf.zeros([1, n, D]), null, inferenceContext()).impulseResponses![0]!;
    expect([view.firstOffset, view.length]).toEqual([-(n - 1), 2 * n - 1]);
    store.dispose();
  });

  it('takes any length up to the one it was built for (odd and LRA lengths); a shorter input uses the filter prefix', async () => {
    await selectBackend('wasm');
    for (const n of [1, 2, 1025, 2001, 4001]) {
      const { store, mixer } = build({}, n);
      const y = tf.tidy(() => mixer.apply(tf.randomNormal([1, n, D], 0, 1, 'float32', 9) as tf.Tensor3D, null, inferenceContext()));
      expect(y.shape).toEqual([1, n, D]);
      expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
      y.dispose();
      store.dispose();
    }
    const { store, mixer, options } = build({}, 9);
    const values = seededUniform('hyena-short', B * 6 * D);
    expect(maxAbsDiff(run(mixer, values, null, 6), reference(values, null, readParams(store), options, 6, 9))).toBeLessThan(5e-5);
    expect(() => mixer.apply(tf.zeros([1, 10, D]), null, inferenceContext())).toThrow('exceeds the length 9');
    store.dispose();
  });

  it('builds the filter inputs as the reference: t = linspace(0, 1, N), z = exp(-i f w), decays per channel', () => {
    const { z, decay } = hyenaFilterTables(5, 3);
    expect(Array.from(z.filter((_, i) => i % 3 === 0))).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(z[3 * 4 + 1]).toBeCloseTo(Math.cos((1e-4 * 2 * Math.PI * 4) / 5), 7);
    expect(z[3 * 4 + 2]).toBeCloseTo(-Math.sin((1e-4 * 2 * Math.PI * 4) / 5), 7);
    // At t = 1 the slowest channel has decayed to 1e-2^(1/1.5), the fastest to 1e-2^(1/0.3).
    expect(decay[4 * 3]).toBeCloseTo(Math.pow(1e-2, 1 / 1.5), 6);
    expect(decay[4 * 3 + 2]).toBeCloseTo(Math.pow(1e-2, 1 / 0.3), 8);
    expect(decay[0]).toBe(1);
  });

  it('exempts the implicit filter (MLP and sine frequency) from weight decay, and nothing else', () => {
    const { store } = build({ filterInnerLayers: 1 });
    const exempt = store.variables().filter((p) => !p.decay).map((p) => p.name);
    expect(exempt).toEqual([
      'mixer/filter/input/kernel', 'mixer/filter/input/bias', 'mixer/filter/inner0/kernel', 'mixer/filter/inner0/bias',
      'mixer/filter/output/kernel', 'mixer/filter/frequency',
    ]);
    expect(store.variables().map((p) => [p.name, p.variable.shape])).toContainEqual(['mixer/shortConv/kernel', [3, 3 * D]]);
    store.dispose();
    expect(getMixer('hyena')).toBe(hyena);
    const args = { dModel: D, heads: 2, seqLen: 9, dropout: 0, attentionDropout: 0, params: new ParamStore(1), layer: 0 };
    expect(hyena.validate!(args, { ...hyena.defaults, filterWidth: 0 })).toBe('filterWidth must be a positive integer, got 0');
  });

  for (const bidirectional of [false, true]) {
    it(`has gradients for the input and every parameter that match finite differences (${bidirectional ? 'two-sided' : 'causal'})`, async () => {
      await selectBackend('wasm');
      const n = 6;
      const { store, mixer, options } = build({ filterWidth: 5, bidirectional }, n);
      const values = seededUniform('hyena-g', B * n * D);
      const weights = seededUniform('hyena-w', B * n * D);
      const mask = Float64Array.from({ length: B * n }, (_, i) => (i === n - 1 ? 0 : 1));
      const lossOf = (y: Float64Array) => y.reduce((s, v, i) => s + v * weights[i]!, 0);
      const w = tf.tensor3d(Float32Array.from(weights), [B, n, D]);
      const x = tf.tensor3d(Float32Array.from(values), [B, n, D]);
      const m = tf.tensor2d(Float32Array.from(mask), [B, n]);
      const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(mixer.apply(input as tf.Tensor3D, m, inferenceContext()), w));
      assertGradcheck(loss, [x], { reference: (xs) => lossOf(reference(xs, mask, readParams(store), options, n, n)), atol: 2e-4 });
      const checked = expectParamGradients(store, () => loss(x), (params) => lossOf(reference(values, mask, params, options, n, n)), {
        atol: 2e-4,
        rtol: 3e-3,
      });
      expect(checked.length).toBe(store.variables().length);
      expect(checked.length).toBe(15);
      tf.dispose([w, x, m]);
      store.dispose();
    });
  }

  it('trains: a few dozen steps lower the loss (mean or CLS pooled), without leaking tensors', async () => {
    await selectBackend('wasm');
    const mean = trainsOnSyntheticTask('hyena', { filterWidth: 16 }, { steps: 40 });
    expect(mean.leaked).toBe(0);
    expect(mean.lastLoss).toBeLessThan(mean.firstLoss * 0.8);
    // CLS-pooled, as the trainer's presets: the CLS token reads the sequence from the end.
    const cls = trainsOnSyntheticTask('hyena', { filterWidth: 16 }, { steps: 80, overrides: { pool: 'cls' } });
    expect(cls.leaked).toBe(0);
    expect(cls.lastLoss).toBeLessThan(cls.firstLoss * 0.85);
  });
});
