// The SIMD matrix transpose (src/backend/simd/transpose.wat): the bits of the JavaScript tiles,
// any multiple-of-4 shape (tiles of 16 cut short), and ranges of rows.
import { describe, expect, it } from 'vitest';
import { transposeSimdFor } from '../../../src/backend/simd/simd-kernels.js';
import { transposeMatrix, transposeOnHeap } from '../../../src/backend/wasm/transpose-matrix.js';
import { newMemory } from './memory.js';

describe('the SIMD transpose', () => {
  for (const [rows, cols] of [[4, 4], [36, 20], [64, 128], [8, 1000]] as const) {
    it(`transposes [${rows}, ${cols}] as the JavaScript tiles do, whole or by rows`, () => {
      const memory = newMemory(2);
      const heap = new Int32Array(memory.buffer);
      const [from, to, reference] = [4, 8 + rows * cols, 12 + 2 * rows * cols];
      for (let i = 0; i < rows * cols; i++) heap[from + i] = i * 7 + 3;
      transposeMatrix(heap, from, reference, rows, cols);
      const want = heap.slice(reference, reference + rows * cols);
      transposeOnHeap(memory, heap, from, to, rows, cols);
      expect(heap.slice(to, to + rows * cols)).toEqual(want);
      heap.fill(-1, to, to + rows * cols);
      const simd = transposeSimdFor(memory)!;
      const middle = 4 * Math.floor(rows / 8);
      simd.transpose(4 * from, 4 * to, rows, cols, 0, middle);
      simd.transpose(4 * from, 4 * to, rows, cols, middle, rows);
      expect(heap.slice(to, to + rows * cols)).toEqual(want);
    });
  }

  it('leaves shapes that are not multiples of 4 to the JavaScript tiles', () => {
    const memory = newMemory(1);
    const heap = new Float32Array(memory.buffer);
    for (let i = 0; i < 15; i++) heap[i] = i;
    transposeOnHeap(memory, heap, 0, 100, 3, 5);
    expect(Array.from(heap.slice(100, 115))).toEqual([0, 5, 10, 1, 6, 11, 2, 7, 12, 3, 8, 13, 4, 9, 14]);
  });
});
