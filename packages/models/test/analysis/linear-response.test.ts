import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jacobianColumns, summariseColumns } from '../../src/analysis/linear-response.js';
import { selectBackend } from '../../src/backend/index.js';
import { getMixer, mixerNames } from '../../src/mixers/registry.js';
import type { Mixer, MixerSpec } from '../../src/mixers/types.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { seededUniform } from '../support/random.js';

const context = () => inferenceContext(3);

function build(name: string, n: number, d: number, heads: number, options: Record<string, unknown> = {}): { mixer: Mixer; store: ParamStore } {
  const spec = getMixer(name) as MixerSpec<Record<string, unknown>>;
  const store = new ParamStore(17);
  const args = { dModel: d, heads, seqLen: n, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0, seed: 17 };
  const resolved = { ...spec.defaults, ...options };
  const problem = spec.validate?.(args, resolved);
  if (problem) throw new Error(`${name}: ${problem}`);
  return { mixer: spec.create(args, resolved), store };
}

/**
 * Mixers with a kernel tfjs cannot differentiate twice, by the error naming it: tfjs registers no
 * gradient for the input gradient of a depthwise convolution (Hyena's and Nystromformer's
 * convolutions) nor for ELU's gradient (linear attention's feature map).
 */
const NOT_TWICE_DIFFERENTIABLE: Record<string, RegExp> = {
  hyena: /DepthwiseConv2dNativeBackpropInput/,
  nystromformer: /DepthwiseConv2dNativeBackpropInput/,
  linear: /EluGrad/,
};

const input = (seed: string, b: number, n: number, d: number) => tf.tensor3d(Float32Array.from(seededUniform(seed, b * n * d)), [b, n, d]);

describe('jacobianColumns', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it("FNet's impulse response is the real part of the 2-D DFT: J[i, d, j, c] = cos(2 pi (ij/N + dc/D))", () => {
    const [n, d] = [12, 6];
    const { mixer, store } = build('fnet', n, d, 2);
    const x = input('fnet', 2, n, d);
    const result = jacobianColumns(mixer, x, null, [{ example: 1, position: 5 }, { example: 0, position: 0 }], { context });
    expect(result.method).toBe('exact');
    result.requests.forEach(({ position: j }, r) => {
      const column = result.columns[r]!;
      let worst = 0;
      for (let i = 0; i < n; i++)
        for (let o = 0; o < d; o++)
          for (let c = 0; c < d; c++) {
            const exact = Math.cos(2 * Math.PI * ((i * j) / n + (o * c) / d));
            worst = Math.max(worst, Math.abs(column[(i * d + o) * d + c]! - exact));
          }
      expect(worst).toBeLessThan(1e-4);
    });
    // An impulse at j comes out as the j-th Fourier mode: all its energy at frequency j / N.
    const summary = summariseColumns({ ...result, requests: [result.requests[0]!], columns: [result.columns[0]!] }, null);
    const gain = summary.frequency.gain;
    const peak = gain.indexOf(Math.max(...gain));
    expect(peak).toBe(5);
    expect(summary.frequency.cyclesPerToken[peak]).toBeCloseTo(5 / 12, 12);
    expect(gain.filter((_, k) => k !== 5).every((g) => g < 1e-3 * gain[5]!)).toBe(true);
    tf.dispose(x);
    store.dispose();
  });

  it("GFNet's column is its circular convolution kernel h_c = irfft(K_c), exactly and by finite differences", () => {
    const [n, d] = [10, 4];
    const { mixer, store } = build('gfnet', n, d, 2, { initNoise: 0.5 });
    const re = Float64Array.from(store.get('mixer/filter/real').dataSync()); // [bins, D]
    const im = Float64Array.from(store.get('mixer/filter/imag').dataSync());
    const bins = n / 2 + 1;
    // irfft in float64: interior bins count twice, the imaginary parts of DC and Nyquist drop out.
    const kernel = (c: number, m: number): number => {
      let s = re[c]!;
      for (let k = 1; k < bins - 1; k++) {
        const a = (2 * Math.PI * k * m) / n;
        s += 2 * (re[k * d + c]! * Math.cos(a) - im[k * d + c]! * Math.sin(a));
      }
      s += re[(bins - 1) * d + c]! * Math.cos(Math.PI * m);
      return s / n;
    };
    const x = input('gfnet', 1, n, d);
    const j = 3;
    for (const method of ['exact', 'finite-difference'] as const) {
      const result = jacobianColumns(mixer, x, null, [{ example: 0, position: j }], { context, method });
      expect(result.method).toBe(method);
      const column = result.columns[0]!;
      let worst = 0;
      for (let i = 0; i < n; i++)
        for (let o = 0; o < d; o++)
          for (let c = 0; c < d; c++) {
            const exact = o === c ? kernel(c, (((i - j) % n) + n) % n) : 0;
            worst = Math.max(worst, Math.abs(column[(i * d + o) * d + c]! - exact));
          }
      expect(worst).toBeLessThan(method === 'exact' ? 1e-5 : 1e-3);
    }
    tf.dispose(x);
    store.dispose();
  });

  it('an identity-like map has gain 1 at every frequency and magnitude 1 at offset 0 only', () => {
    const identity: Mixer = { apply: (x) => tf.clone(x) };
    const x = input('id', 1, 8, 3);
    const result = jacobianColumns(identity, x, null, [{ example: 0, position: 2 }, { example: 0, position: 6 }], { context });
    const summary = summariseColumns(result, null);
    for (const g of summary.frequency.gain) expect(g).toBeCloseTo(1, 5);
    const { firstOffset, magnitude, trace } = summary.byOffset!;
    expect(magnitude[-firstOffset]).toBeCloseTo(1, 6);
    expect(trace[-firstOffset]).toBeCloseTo(1, 6);
    magnitude.forEach((m, k) => {
      if (k !== -firstOffset && Number.isFinite(m)) expect(m).toBe(0);
    });
    x.dispose();
  });

  it('columns of softmax attention agree with fine central differences', () => {
    const [n, d] = [9, 8];
    const { mixer, store } = build('attention', n, d, 2);
    const x = input('attn', 2, n, d);
    const mask = tf.tensor2d([1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1], [2, n]);
    const request = [{ example: 0, position: 4 }];
    // Exact: the fused softmax-gradient kernel has a gradient of its own.
    const exact = jacobianColumns(mixer, x, mask, request, { context, directionsPerPass: 3 });
    expect(exact.method).toBe('exact');
    expect(exact.fallback).toBeNull();
    const numeric = jacobianColumns(mixer, x, mask, request, { context, method: 'finite-difference', relativeStep: 1e-3 });
    const scale = Math.max(...exact.columns[0]!.map(Math.abs));
    let worst = 0;
    exact.columns[0]!.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - numeric.columns[0]![k]!))));
    expect(scale).toBeGreaterThan(0.05);
    expect(worst / scale).toBeLessThan(5e-3);
    // Padded keys get (almost) no weight: real outputs do not respond to an impulse at a padded position.
    const padded = jacobianColumns(mixer, x, mask, [{ example: 0, position: 8 }], { context });
    expect(Math.max(...padded.columns[0]!.subarray(0, 7 * d * d).map(Math.abs))).toBeLessThan(1e-6);
    expect(Math.max(...padded.columns[0]!.subarray(8 * d * d).map(Math.abs))).toBeGreaterThan(1e-3);
    tf.dispose([x, mask]);
    store.dispose();
  });

  it('refuses a column outside the input', () => {
    const identity: Mixer = { apply: (x) => tf.clone(x) };
    const x = input('id', 1, 4, 2);
    expect(() => jacobianColumns(identity, x, null, [{ example: 0, position: 4 }], { context })).toThrow(/outside the input \[1, 4\]/);
    x.dispose();
  });

  it('works for every registered mixer and leaks no tensors', () => {
    const [n, d] = [16, 8];
    const small: Record<string, Record<string, unknown>> = { nystromformer: { landmarks: 4, convKernel: 3 }, reformer: { bucketSize: 4 }, bigbird: { blockSize: 4, randomBlocks: 1 }, local: { window: 5 }, linformer: { k: 4 }, performer: { features: 16 }, rfa: { features: 16 }, s4d: { dState: 8 }, hyena: { filterWidth: 8 } };
    const x = input('all', 1, n, d);
    const methods: Record<string, string> = {};
    const fallbacks: Record<string, string | null> = {};
    for (const name of mixerNames) {
      const spec = getMixer(name) as MixerSpec<Record<string, unknown>>;
      const options = Object.fromEntries(Object.entries(small[name] ?? {}).filter(([k]) => k in spec.defaults));
      const { mixer, store } = build(name, n, d, 2, options);
      const before = tf.memory().numTensors;
      const result = jacobianColumns(mixer, x, null, [{ example: 0, position: 7 }], { context });
      expect(tf.memory().numTensors, name).toBe(before);
      const summary = summariseColumns(result, null);
      expect(result.columns[0]!.every(Number.isFinite), name).toBe(true);
      expect(summary.frequency.gain.every((g) => Number.isFinite(g) && g >= 0), name).toBe(true);
      expect(Math.max(...summary.frequency.gain), name).toBeGreaterThan(0);
      methods[name] = result.method;
      fallbacks[name] = result.fallback;
      store.dispose();
    }
    // Every mixer is differentiated twice exactly, except where a tfjs gradient kernel has no
    // gradient itself: those fall back, visibly, saying which kernel stopped them.
    for (const name of mixerNames) {
      const blocker = NOT_TWICE_DIFFERENTIABLE[name];
      expect(methods[name], name).toBe(blocker ? 'finite-difference' : 'exact');
      if (blocker) expect(fallbacks[name], name).toMatch(blocker);
    }
    x.dispose();
  });
});

describe('jacobianColumns on cpu, where GELU is a fused kernel as well', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });
  afterAll(async () => {
    await selectBackend('wasm');
  });

  it('is exact through fused GELU and layer norm, and agrees with central differences', () => {
    const [n, d] = [12, 8];
    const x = input('gelu', 1, n, d);
    for (const name of ['gmlp', 's4d', 'fftnet']) {
      const { mixer, store } = build(name, n, d, 2, name === 's4d' ? { dState: 8 } : {});
      const request = [{ example: 0, position: 5 }];
      const exact = jacobianColumns(mixer, x, null, request, { context });
      expect(exact.method, `${name}: ${exact.fallback}`).toBe('exact');
      const numeric = jacobianColumns(mixer, x, null, request, { context, method: 'finite-difference', relativeStep: 1e-3 });
      const scale = Math.max(...exact.columns[0]!.map(Math.abs));
      let worst = 0;
      exact.columns[0]!.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - numeric.columns[0]![k]!))));
      expect(scale, name).toBeGreaterThan(1e-2);
      expect(worst / scale, name).toBeLessThan(5e-3);
      store.dispose();
    }
    x.dispose();
  });
});
