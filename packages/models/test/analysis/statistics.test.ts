import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AttentionAccumulator } from '../../src/analysis/attention-stats.js';
import { AdaptiveFilterAccumulator, DctEnergyAccumulator, quantileOfSorted } from '../../src/analysis/filter-stats.js';
import { frequencyResponse } from '../../src/analysis/frequency.js';
import { impulsePositions, ModelAnalyzer } from '../../src/analysis/model-analysis.js';
import { selectBackend } from '../../src/backend/index.js';
import { createClassifier } from '../../src/encoder/classifier.js';
import { paddedTokens, tinyConfig } from '../encoder/fixtures.js';

/** [1, heads, n, n] probabilities with each head's rows given by rowOf(head, i). */
function view(n: number, rowOf: (head: number, i: number) => number[]) {
  const heads = 2;
  const probabilities = new Float32Array(heads * n * n);
  for (let h = 0; h < heads; h++) for (let i = 0; i < n; i++) probabilities.set(rowOf(h, i), (h * n + i) * n);
  return { examples: 1, heads, queries: n, keys: n, probabilities, queryMask: null };
}

describe('analysis statistics', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('tells a previous-token head (distance 1, entropy 0, all-pass) from a uniform one (distance (n^2-1)/3n, entropy ln n, low-pass)', () => {
    const n = 8;
    const acc = new AttentionAccumulator();
    acc.add(
      view(n, (h, i) => {
        const row = new Array<number>(n).fill(h === 0 ? 0 : 1 / n);
        if (h === 0) row[Math.max(0, i - 1)] = 1;
        return row;
      }),
    );
    const [previous, uniform] = acc.summary().heads;
    expect(previous!.meanDistance).toBeCloseTo((n - 1) / n, 6);
    expect(previous!.entropy).toBeCloseTo(0, 6);
    expect(uniform!.meanDistance).toBeCloseTo((n * n - 1) / (3 * n), 5);
    expect(uniform!.entropy).toBeCloseTo(Math.log(n), 5);
    expect(uniform!.uniformEntropy).toBeCloseTo(Math.log(n), 12);
    // The average kernels sum to one: gain 1 at frequency 0.
    for (const head of [previous!, uniform!]) {
      expect(head.offsetProfile.values.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
      expect(head.offsetSpectrum.magnitude[0]).toBeCloseTo(1, 5);
    }
    // A shift keeps every frequency (|H| stays near 1); a uniform average damps the high ones.
    const last = (h: typeof previous) => h!.offsetSpectrum.magnitude[h!.offsetSpectrum.magnitude.length - 1]!;
    expect(last(previous)).toBeGreaterThan(0.7);
    expect(last(uniform)).toBeLessThan(0.2);
  });

  it("frequencyResponse places a response's first tap at its lag (a dense DTFT in float64)", () => {
    const taps = [0.5, -1, 2, 0.25, -0.75];
    const first = -2;
    const r = frequencyResponse(Float32Array.from(taps), 1, taps.length, first, 9);
    for (let k = 0; k <= 4; k++) {
      let [a, b] = [0, 0];
      taps.forEach((h, m) => {
        a += h * Math.cos((-2 * Math.PI * k * (first + m)) / 9);
        b += h * Math.sin((-2 * Math.PI * k * (first + m)) / 9);
      });
      expect(r.re[k]).toBeCloseTo(a, 5);
      expect(r.im[k]).toBeCloseTo(b, 5);
      expect(r.cyclesPerToken[k]).toBeCloseTo(k / 9, 12);
    }
    expect(() => frequencyResponse(Float32Array.from(taps), 1, 5, 0, 4)).toThrow(/n must be an integer >= the 5 taps/);
  });

  it('summarises an adaptive filter across inputs by mean and percentiles (numpy linear interpolation)', () => {
    expect(quantileOfSorted([1, 2, 3, 4, 5], 0.1)).toBeCloseTo(1.4, 12);
    const acc = new AdaptiveFilterAccumulator();
    // Two batches, rows 1, bins 2: bin 0 sees 0..9, bin 1 a constant 3.
    for (const start of [0, 5]) {
      const values = new Float32Array(10);
      for (let b = 0; b < 5; b++) values.set([start + b, 3], b * 2);
      acc.add({ name: 'f', rowLabel: 'head', rows: 1, bins: 2, fftLength: 2, examples: 5, values });
    }
    const s = acc.summary();
    expect(s.examples).toBe(10);
    expect(s.mean[0]).toEqual([4.5, 3]);
    expect(s.p10[0]![0]).toBeCloseTo(0.9, 6);
    expect(s.p90[0]![0]).toBeCloseTo(8.1, 6);
    expect(s.spread[0]).toBeCloseTo(7.2 / 2, 6);
  });

  it('counts the DCT energy kept per input', () => {
    const acc = new DctEnergyAccumulator();
    acc.add({ length: 4, kept: 1, examples: 2, coefficientEnergy: Float32Array.from([3, 1, 0, 0, 1, 1, 1, 1]) });
    const s = acc.summary();
    expect(s.energyKept).toEqual({ mean: (0.75 + 0.25) / 2, min: 0.25, max: 0.75 });
    expect(s.coefficientShare[0]).toBeCloseTo(0.5, 12);
  });

  it('spreads impulse positions over the real tokens', () => {
    expect(impulsePositions(20, 3)).toEqual([5, 10, 15]);
    expect(impulsePositions(1, 3)).toEqual([0]);
  });

  it('analyses every layer of a classifier over batches and leaves no tensors', () => {
    for (const mixer of ['attention', 's4d'] as const) {
      const config = tinyConfig({ mixer, layers: 2, dropout: 0, attentionDropout: 0, ...(mixer === 's4d' ? { mixerOptions: { dState: 4 } } : {}) });
      const model = createClassifier(config, 5);
      const analyzer = new ModelAnalyzer(model, { responseExamples: 1, positionsPerExample: 2 });
      const before = tf.memory().numTensors;
      for (const seed of ['a', 'b']) {
        const tokens = paddedTokens(seed, [9, 6, 4], 9);
        analyzer.addBatch({ tokens }, Int32Array.from([0, 1, 2]));
        tokens.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
      const s = analyzer.summary();
      expect([s.examples, s.batches, s.layers.length]).toEqual([6, 2, 2]);
      expect(s.accuracy).toBeGreaterThanOrEqual(0);
      for (const layer of s.layers) {
        // CLS + 9 tokens.
        expect(layer.inputLength).toBe(10);
        expect(['exact', 'finite-difference']).toContain(layer.linearResponse!.method);
        expect(layer.linearResponse!.frequency.gain.every(Number.isFinite)).toBe(true);
        expect(layer.linearResponse!.columns).toHaveLength(2);
        if (mixer === 'attention') {
          expect(layer.attention!.rows).toBe(2 * (10 + 7 + 5));
          expect(layer.impulseResponses).toEqual([]);
        } else {
          expect(layer.attention).toBeNull();
          expect(layer.impulseResponses[0]!.channels).toBe(config.dModel);
        }
      }
      model.dispose();
    }
  });
});
