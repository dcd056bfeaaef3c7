// The SIMD dropout module (src/backend/simd/seeded-dropout.wat) gives the JavaScript loop's
// mask bit for bit: any seed, rate, offset (odd, past 2^32 pairs, across 2^32), length and
// alignment, in place or not.
import { describe, expect, it } from 'vitest';
import { applySeededDropout } from '../../../src/backend/fused/seeded-dropout-mask.js';
import { TASK, runPart } from '../../../src/backend/parallel/tasks.js';
import { dropoutSimdFor, simdFailure } from '../../../src/backend/simd/simd-kernels.js';
import { newMemory } from './memory.js';

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('the SIMD dropout module', () => {
  for (const shared of [true, false]) {
    it(`matches the JavaScript mask bit for bit (${shared ? 'shared' : 'plain'} memory)`, () => {
      const memory = newMemory(4, shared);
      const simd = dropoutSimdFor(memory);
      expect(simd, simdFailure()).not.toBeNull();
      const cases = [
        { seed: 7, rate: 0.1, offset: 0, length: 1000, at: 0 },
        { seed: 2 ** 40 + 3, rate: 0.5, offset: 1, length: 37, at: 12 },
        { seed: 99, rate: 0.3, offset: 2 ** 33 - 11, length: 64, at: 4 },
        { seed: 5, rate: 0.9, offset: 2 ** 33 + 6, length: 20_003, at: 8 },
        { seed: 1, rate: 0, offset: 3, length: 15, at: 0 },
      ];
      for (const c of cases) {
        const x = new Float32Array(memory.buffer, c.at, c.length);
        for (let i = 0; i < c.length; i++) x[i] = i % 17 === 0 ? -0 : i % 19 === 0 ? Number.NaN : Math.sin(i) * 3;
        const out = new Float32Array(memory.buffer, c.at + 4 * c.length + 4, c.length);
        const attrs = { seed: c.seed, rate: c.rate, offset: c.offset };
        applySeededDropout(x, out, attrs, simd);
        const want = new Float32Array(c.length);
        applySeededDropout(Float32Array.from(x), want, attrs);
        expect(bits(out), JSON.stringify(c)).toEqual(bits(want));
        // In place.
        applySeededDropout(x, x, attrs, simd);
        expect(bits(x), JSON.stringify(c)).toEqual(bits(want));
      }
    });
  }

  it('gives the same mask when a job is sliced over threads', () => {
    const memory = newMemory(4, true);
    const size = 10_001;
    const x = new Float32Array(memory.buffer, 0, size);
    for (let i = 0; i < size; i++) x[i] = Math.cos(i);
    const out = new Float32Array(memory.buffer, 4 * size, size);
    const want = new Float32Array(size);
    applySeededDropout(Float32Array.from(x), want, { seed: 11, rate: 0.25, offset: 5 });
    for (const parts of [2, 3, 7]) {
      out.fill(Number.NaN);
      const job = Float64Array.from([TASK.seededDropout, 0, 4 * size, size, 11, 0.25, 5]);
      for (let part = 0; part < parts; part++) runPart(memory.buffer, job, part, parts, undefined, memory);
      expect(bits(out)).toEqual(bits(want));
    }
  });
});
