import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AttentionAccumulator } from '../../src/analysis/attention-stats.js';
import { summariseImpulseResponse } from '../../src/analysis/filter-stats.js';
import type { MixerInspection } from '../../src/analysis/inspection.js';
import { selectBackend } from '../../src/backend/index.js';
import { localRadius } from '../../src/mixers/local.js';
import { getMixer } from '../../src/mixers/registry.js';
import type { Mixer, MixerSpec } from '../../src/mixers/types.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { seededUniform } from '../support/random.js';

function build(name: string, n: number, d: number, heads: number, options: Record<string, unknown> = {}, extra: { hasCls?: boolean } = {}) {
  const spec = getMixer(name) as MixerSpec<Record<string, unknown>>;
  const store = new ParamStore(23);
  const args = { dModel: d, heads, seqLen: n, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0, seed: 23, ...extra };
  const mixer: Mixer = spec.create(args, { ...spec.defaults, ...options });
  return { mixer, store };
}

const read = (store: ParamStore, name: string) => Float64Array.from(store.get(name).dataSync());
const input = (seed: string, b: number, n: number, d: number) => tf.tensor3d(Float32Array.from(seededUniform(seed, b * n * d)), [b, n, d]);

/** Dense DTFT in float64: H(k / n) = sum_m h[m] exp(-2 pi i k (first + m) / n). */
function denseDtft(h: ArrayLike<number>, first: number, n: number): { re: number[]; im: number[] } {
  const re: number[] = [];
  const im: number[] = [];
  for (let k = 0; k <= Math.floor(n / 2); k++) {
    let a = 0;
    let b = 0;
    for (let m = 0; m < h.length; m++) {
      const angle = (-2 * Math.PI * k * (first + m)) / n;
      a += h[m]! * Math.cos(angle);
      b += h[m]! * Math.sin(angle);
    }
    re.push(a);
    im.push(b);
  }
  return { re, im };
}

function inspectOf(mixer: Mixer, x: tf.Tensor3D, mask: tf.Tensor2D | null = null): MixerInspection {
  const before = tf.memory().numTensors;
  const inspection = mixer.inspect!(x, mask, inferenceContext(2));
  expect(tf.memory().numTensors).toBe(before);
  return inspection;
}

describe('Mixer.inspect', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it("S4D's impulse response is its recurrence run on an impulse (both directions, D at lag 0), and its plotted response is that response's DFT", () => {
    const [n, d] = [12, 3];
    const { mixer, store } = build('s4d', n, d, 1, { dState: 4 });
    const view = inspectOf(mixer, input('s4d', 1, n, d)).impulseResponses![0]!;
    expect(view.firstOffset).toBe(-(n - 1));
    expect(view.length).toBe(2 * n - 1);
    const skip = read(store, 'mixer/D');
    // h_t = exp(dt A) h_{t-1} + B u_t, B = (exp(dt A) - 1) / A (ZOH), y_t = 2 Re(C h_t), in float64.
    const recurrence = (direction: string, c: number): number[] => {
      const p = (name: string) => read(store, `mixer/${direction}/${name}`);
      const [logDt, logAReal, aImag, cRe, cIm] = ['logDt', 'logAReal', 'aImag', 'cRe', 'cIm'].map(p) as Float64Array[];
      const modes = logAReal!.length / d;
      const dt = Math.exp(logDt![c]!);
      const out = new Array<number>(n).fill(0);
      for (let m = 0; m < modes; m++) {
        const ar = -Math.exp(logAReal![c * modes + m]!);
        const ai = aImag![c * modes + m]!;
        const e = Math.exp(ar * dt);
        const [er, ei] = [e * Math.cos(ai * dt), e * Math.sin(ai * dt)];
        const norm = ar * ar + ai * ai;
        let [hr, hi] = [((er - 1) * ar + ei * ai) / norm, (ei * ar - (er - 1) * ai) / norm];
        for (let t = 0; t < n; t++) {
          out[t] += 2 * (cRe![c * modes + m]! * hr - cIm![c * modes + m]! * hi);
          [hr, hi] = [hr * er - hi * ei, hr * ei + hi * er];
        }
      }
      return out;
    };
    for (let c = 0; c < d; c++) {
      const forward = recurrence('forward', c);
      const backward = recurrence('backward', c);
      const row = view.values.subarray(c * view.length, (c + 1) * view.length);
      for (let lag = -(n - 1); lag < n; lag++) {
        const expected = lag > 0 ? forward[lag]! : lag === 0 ? forward[0]! + skip[c]! : backward[-lag - 1]!;
        expect(row[lag + n - 1]).toBeCloseTo(expected, 4);
      }
      const { re, im } = denseDtft(row, view.firstOffset, view.length);
      const plotted = summariseImpulseResponse(view).frequency;
      plotted.magnitude[c]!.forEach((m, k) => expect(m).toBeCloseTo(Math.hypot(re[k]!, im[k]!), 4));
      plotted.phase[c]!.forEach((ph, k) => {
        if (Math.hypot(re[k]!, im[k]!) > 1e-3) expect(Math.cos(ph - Math.atan2(im[k]!, re[k]!))).toBeCloseTo(1, 5);
      });
    }
    store.dispose();
  });

  it("Hyena's impulse response drives its long convolution, and its plotted response is the response's DFT", () => {
    const [n, d] = [10, 4];
    const { mixer, store } = build('hyena', n, d, 1, { filterWidth: 8, clsPosition: 'first' });
    const view = inspectOf(mixer, input('hyena', 1, n, d)).impulseResponses![0]!;
    expect(view.firstOffset).toBe(0);
    expect(view.length).toBe(n);
    // The view equals the filter the mixer convolves with: rebuilt here from the implicit MLP.
    const z = Array.from({ length: n }, (_, i) => [i / (n - 1), Math.cos((1e-4 * 2 * Math.PI * i) / n), -Math.sin((1e-4 * 2 * Math.PI * i) / n)]);
    const freq = read(store, 'mixer/filter/frequency');
    const layer = (h: number[], name: string, inDim: number, outDim: number, bias = true) => {
      const w = read(store, `mixer/filter/${name}/kernel`);
      const b = bias ? read(store, `mixer/filter/${name}/bias`) : null;
      return Array.from({ length: outDim }, (_, o) => h.reduce((s, v, i) => s + v * w[i * outDim + o]!, b ? b[o]! : 0));
    };
    const skip = read(store, 'mixer/filter/skip');
    const slow = Math.log(1e-2) / 1.5;
    const fast = Math.log(1e-2) / 0.3;
    for (let t = 0; t < n; t++) {
      let h = layer(z[t]!, 'input', 3, 8).map((v, k) => Math.sin(v * freq[k]!));
      for (const inner of ['inner0', 'inner1']) h = layer(h, inner, 8, 8).map((v, k) => Math.sin(v * freq[k]!));
      const out = layer(h, 'output', 8, d, false);
      for (let c = 0; c < d; c++) {
        const decay = Math.exp(-(t / (n - 1)) * Math.abs(slow + ((fast - slow) * c) / (d - 1)));
        expect(view.values[c * n + t]).toBeCloseTo(out[c]! * decay + (t === 0 ? skip[c]! : 0), 4);
      }
    }
    const plotted = summariseImpulseResponse(view).frequency;
    for (let c = 0; c < d; c++) {
      const { re, im } = denseDtft(view.values.subarray(c * n, (c + 1) * n), 0, n);
      plotted.magnitude[c]!.forEach((m, k) => expect(m).toBeCloseTo(Math.hypot(re[k]!, im[k]!), 4));
    }
    store.dispose();
  });

  it("local attention's heads stay inside the window: mean distance <= radius, no weight outside the band", () => {
    const [n, d, window] = [20, 8, 7];
    const { mixer, store } = build('local', n, d, 2, { window });
    const x = input('local', 2, n, d);
    const mask = tf.tensor2d(Array.from({ length: 2 * n }, (_, k) => (k % n < (k < n ? 20 : 13) ? 1 : 0)), [2, n]);
    const view = inspectOf(mixer, x, mask).attention!;
    const radius = localRadius(window);
    for (let b = 0; b < 2; b++)
      for (let h = 0; h < 2; h++)
        for (let i = 0; i < (b === 0 ? 20 : 13); i++) {
          let sum = 0;
          for (let j = 0; j < n; j++) {
            const p = view.probabilities[((b * 2 + h) * n + i) * n + j]!;
            sum += p;
            if (Math.abs(i - j) > radius) expect(p).toBe(0);
          }
          expect(sum).toBeCloseTo(1, 5);
        }
    const acc = new AttentionAccumulator();
    acc.add(view);
    const summary = acc.summary();
    expect(summary.rows).toBe(33);
    for (const head of summary.heads) {
      expect(head.meanDistance).toBeGreaterThan(0);
      expect(head.meanDistance).toBeLessThanOrEqual(radius);
      expect(head.entropy).toBeLessThanOrEqual(Math.log(2 * radius + 1) + 1e-9);
    }
    tf.dispose([x, mask]);
    store.dispose();
  });

  it("softmax attention's probabilities are the weights its output is made of: y = (P (x Wv)) Wo", () => {
    const [n, d, heads] = [6, 4, 2];
    const { mixer, store } = build('attention', n, d, heads);
    const x = input('attention', 1, n, d);
    const view = inspectOf(mixer, x).attention!;
    const y = mixer.apply(x, null, inferenceContext(2));
    const xs = Float64Array.from(x.dataSync());
    const [wv, wo] = ['value', 'output'].map((p) => read(store, `mixer/${p}/kernel`)) as [Float64Array, Float64Array];
    const v = Array.from({ length: n * d }, (_, at) => {
      const [i, o] = [Math.floor(at / d), at % d];
      return Array.from({ length: d }, (_, c) => xs[i * d + c]! * wv[c * d + o]!).reduce((s, t) => s + t, 0);
    });
    const hd = d / heads;
    const mixed = new Float64Array(n * d);
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < n; i++)
        for (let e = 0; e < hd; e++)
          for (let j = 0; j < n; j++) mixed[i * d + h * hd + e] += view.probabilities[(h * n + i) * n + j]! * v[j * d + h * hd + e]!;
    const out = y.dataSync();
    for (let i = 0; i < n; i++)
      for (let o = 0; o < d; o++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += mixed[i * d + c]! * wo[c * d + o]!;
        expect(out[i * d + o]).toBeCloseTo(s, 4);
      }
    tf.dispose([x, y]);
    store.dispose();
  });

  it("FFTNet shows its base filter and, per input, base + tanh(MLP(mean)) within one of it", () => {
    const [n, d, heads] = [8, 8, 2];
    const { mixer, store } = build('fftnet', n, d, heads);
    const x = input('fftnet', 3, n, d);
    const inspection = inspectOf(mixer, x);
    const base = inspection.filters!.find((f) => f.name === 'base filter')!;
    expect(Array.from(base.re)).toEqual(Array.from(store.get('mixer/baseFilter').dataSync()));
    const adaptive = inspection.adaptiveFilters![0]!;
    expect([adaptive.examples, adaptive.rows, adaptive.bins]).toEqual([3, heads, n / 2 + 1]);
    for (let b = 0; b < 3; b++)
      for (let k = 0; k < heads * adaptive.bins; k++) expect(Math.abs(adaptive.values[b * heads * adaptive.bins + k]! - base.re[k]!)).toBeLessThan(1);
    // Different inputs, different filters.
    const first = adaptive.values.subarray(0, heads * adaptive.bins);
    const second = adaptive.values.subarray(heads * adaptive.bins, 2 * heads * adaptive.bins);
    expect(first.some((v, k) => Math.abs(v - second[k]!) > 1e-4)).toBe(true);
    const stat = build('fftnet', n, d, heads, { filter: 'static' });
    expect(inspectOf(stat.mixer, x).adaptiveFilters).toBeUndefined();
    tf.dispose(x);
    store.dispose();
    stat.store.dispose();
  });

  it("the Fourier Transformer reports each coefficient's DCT energy (orthonormal DCT-II) and its attention on the shortened sequence", () => {
    const [n, d] = [11, 4];
    const { mixer, store } = build('fourier-transformer', n, d, 2, { keep: 0.4 }, { hasCls: true });
    const x = input('ft', 1, n, d);
    const inspection = inspectOf(mixer, x);
    const dct = inspection.dctEnergy!;
    expect([dct.length, dct.kept]).toEqual([10, 5]);
    const xs = x.dataSync();
    for (let k = 0; k < 10; k++) {
      let energy = 0;
      for (let c = 0; c < d; c++) {
        let s = 0;
        for (let t = 0; t < 10; t++) s += xs[(t + 1) * d + c]! * Math.cos((Math.PI * k * (2 * t + 1)) / 20);
        s *= k === 0 ? Math.sqrt(1 / 10) : Math.sqrt(2 / 10);
        energy += s * s;
      }
      expect(dct.coefficientEnergy[k]).toBeCloseTo(energy, 4);
    }
    expect(inspection.attention!.queries).toBe(6);
    tf.dispose(x);
    store.dispose();
  });

  it('GFNet shows its complex filter per channel and FNet a flat one', () => {
    const { mixer, store } = build('gfnet', 8, 4, 2, { initNoise: 0.3 });
    const x = input('g', 1, 8, 4);
    const filter = inspectOf(mixer, x).filters![0]!;
    const stored = store.get('mixer/filter/imag').dataSync(); // [bins, channels]
    expect([filter.rows, filter.bins, filter.rowLabel]).toEqual([4, 5, 'channel']);
    expect(filter.im![1 * 5 + 3]).toBe(stored[3 * 4 + 1]);
    const fnet = build('fnet', 8, 4, 2);
    expect(Array.from(inspectOf(fnet.mixer, x).filters![0]!.re)).toEqual([1, 1, 1, 1, 1]);
    tf.dispose(x);
    store.dispose();
    fnet.store.dispose();
  });
});
