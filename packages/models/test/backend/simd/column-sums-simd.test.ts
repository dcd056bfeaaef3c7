// The SIMD column sums (src/backend/simd/column-sums.wat) behind wasm's Sum and Mean over leading
// axes: the bits of the JavaScript reduction (float32 values added in float64, row by row), for
// any slicing over threads.
import { describe, expect, it } from 'vitest';
import { TASK, runPart } from '../../../src/backend/parallel/tasks.js';
import { columnSumsSimdFor, simdFailure } from '../../../src/backend/simd/simd-kernels.js';
import { reduceBlocks, sumColumnBlocks } from '../../../src/backend/wasm/reduce-blocks.js';
import { newMemory } from './memory.js';

describe('the SIMD column sums', () => {
  // [outer, reduced, inner]: a bias gradient (rows in blocks of 32 and a partial one), a mean over
  // the sequence, widths 12 and 4 (a last group of four), and one row.
  for (const [outer, reduced, inner, divisor] of [[1, 300, 128, 1], [8, 40, 64, 40], [3, 17, 12, 1], [2, 5, 4, 5], [4, 1, 20, 1]] as const) {
    it(`sum [${outer}, ${reduced}, ${inner}] / ${divisor} as the JavaScript reduction does, bit for bit, sliced or not`, () => {
      const memory = newMemory(4, true);
      const heap = new Float32Array(memory.buffer);
      const size = outer * reduced * inner;
      for (let i = 0; i < size; i++) heap[4 + i] = Math.sin(i * 0.61) * (1 + (i % 13));
      const [from, to, reference] = [4, 8 + size, 16 + size + outer * inner];
      // Each slice's float64 sums: 8 bytes per column, after the reference.
      const scratch = 4 * (24 + size + 2 * outer * inner);
      expect(scratch + 8 * inner * 7).toBeLessThanOrEqual(memory.buffer.byteLength);
      reduceBlocks(heap, from, reference, outer, reduced, inner, divisor);
      const want = heap.slice(reference, reference + outer * inner);
      const simd = columnSumsSimdFor(memory);
      expect(simd, simdFailure()).not.toBeNull();
      sumColumnBlocks(simd!, 4 * from, 4 * to, reduced, inner, divisor, { outerFirst: 0, outerLast: outer, innerFirst: 0, innerLast: inner }, scratch);
      expect(heap.slice(to, to + outer * inner)).toEqual(want);
      for (const parts of [2, 3, 7]) {
        heap.fill(Number.NaN, to, to + outer * inner);
        const job = Float64Array.from([TASK.reduce, 4 * from, 4 * to, outer, reduced, inner, divisor, scratch]);
        for (let part = 0; part < parts; part++) runPart(memory.buffer, job, part, parts, undefined, memory);
        expect(heap.slice(to, to + outer * inner)).toEqual(want);
      }
    });
  }
});
