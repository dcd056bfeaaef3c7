import { describe, expect, it } from 'vitest';
import { CHECKED_MIXERS, denseRfft, directCausalConvolution, relativeError, runNumericChecks, SPECTRAL_LENGTHS } from '../../src/gpu-check/numeric-checks.js';

describe('the references of the numeric checks', () => {
  it('measure the error on the scale of the reference, and a NaN as an infinite error', () => {
    expect(relativeError([1, 2.5, -4], [1, 2, -4])).toBeCloseTo(0.125, 12);
    expect(relativeError([0, 0], [0, 0])).toBe(0);
    expect(relativeError([1, Number.NaN], [1, 2])).toBe(Number.POSITIVE_INFINITY);
    expect(() => relativeError([1], [1, 2])).toThrow('length 1 against a reference of 2');
  });

  it('take the DFT by its definition: a cosine is two spikes, a delta is flat', () => {
    const n = 16;
    const cosine = Array.from({ length: n }, (_, t) => Math.cos((2 * Math.PI * 3 * t) / n));
    const delta = Array.from({ length: n }, (_, t) => (t === 0 ? 1 : 0));
    const { re, im } = denseRfft([...cosine, ...delta], 2, n);
    for (let k = 0; k <= n / 2; k++) {
      expect(re[k]).toBeCloseTo(k === 3 ? n / 2 : 0, 10);
      expect(im[k]).toBeCloseTo(0, 10);
      expect(re[n / 2 + 1 + k]).toBeCloseTo(1, 12);
      expect(im[n / 2 + 1 + k]).toBeCloseTo(0, 12);
    }
  });

  it('convolve causally, as fftconv does', () => {
    expect(Array.from(directCausalConvolution([1, 2, 3, 4], [1, 1, 0, 0], 1, 4))).toEqual([1, 3, 5, 7]);
    expect(Array.from(directCausalConvolution([1, 0, 0, 0, 2, 0, 0, 0], [0, 1, 2, 0, 1, 0, 0, 0], 2, 4))).toEqual([0, 1, 2, 0, 2, 0, 0, 0]);
  });
});

describe('the numeric checks', () => {
  it('pass on the wasm backend, covering every spectral path and each mixer against cpu', async () => {
    const report = await runNumericChecks('wasm');
    expect(report.backend).toBe('wasm');
    const names = report.checks.map((c) => c.name);
    for (const n of SPECTRAL_LENGTHS) expect(names).toContain(`rfft n=${n} vs dense DFT`);
    for (const mixer of CHECKED_MIXERS) {
      expect(names).toContain(`${mixer} logits vs cpu (L=256)`);
      expect(names).toContain(`${mixer} training step vs cpu`);
    }
    const failed = report.checks.filter((c) => !c.ok);
    expect(failed).toEqual([]);
    expect(report.ok).toBe(true);
    // Float32 against float64: close, but not bit-equal (a check comparing a thing with itself would be 0).
    expect(report.checks.find((c) => c.name === 'rfft n=1021 vs dense DFT')!.relError).toBeGreaterThan(0);
  }, 300_000);
});
