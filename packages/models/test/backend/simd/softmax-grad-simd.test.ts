// The SIMD softmax gradient (src/backend/simd/softmax-grad.wat) against the JavaScript rows
// (float64 dot products), and sliced over threads bit for bit.
import { describe, expect, it } from 'vitest';
import { softmaxGradRows } from '../../../src/backend/fused/softmax-grad-rows.js';
import { TASK, runPart } from '../../../src/backend/parallel/tasks.js';
import { simdFailure, softmaxGradSimdFor } from '../../../src/backend/simd/simd-kernels.js';
import { newMemory } from './memory.js';

describe('the SIMD softmax gradient', () => {
  it('takes rows whose length is a multiple of 4', () => {
    const memory = newMemory(1);
    expect(softmaxGradSimdFor(memory, 6)).toBeNull();
    expect(softmaxGradSimdFor(memory, 8), simdFailure()).not.toBeNull();
  });

  it('matches the JavaScript rows and gives the bits of one call when sliced over threads', () => {
    const [rows, n] = [37, 1024];
    const memory = newMemory(16, true);
    const size = rows * n;
    const [dy, y, dx] = [0, 1, 2].map((k) => new Float32Array(memory.buffer, 16 + 4 * k * size, size)) as [Float32Array, Float32Array, Float32Array];
    for (let r = 0; r < rows; r++) {
      // y: a softmax row (positive, summing to 1); dy: any values.
      let total = 0;
      for (let j = 0; j < n; j++) total += (y[r * n + j] = Math.exp(Math.sin(r + j * 0.1) * 3));
      for (let j = 0; j < n; j++) {
        y[r * n + j]! /= total;
        dy[r * n + j] = Math.cos(j * 0.3 + r);
      }
    }
    const simd = softmaxGradSimdFor(memory, n)!;
    simd.softmaxGrad(dy.byteOffset, y.byteOffset, dx.byteOffset, rows, n);
    const want = new Float32Array(size);
    softmaxGradRows(dy, y, rows, n, want);
    let worst = 0;
    for (let i = 0; i < size; i++) worst = Math.max(worst, Math.abs(dx[i]! - want[i]!) / Math.max(1e-3, Math.abs(y[i]!)));
    // dx = y (dy - dot): the dot in float32 lanes, off by a few 1e-7 of |dy|.
    expect(worst).toBeLessThan(2e-6);
    const one = dx.slice();
    for (const parts of [2, 3, 7]) {
      dx.fill(Number.NaN);
      const job = Float64Array.from([TASK.softmaxGrad, dy.byteOffset, y.byteOffset, dx.byteOffset, rows, n]);
      for (let part = 0; part < parts; part++) runPart(memory.buffer, job, part, parts, undefined, memory);
      expect(dx).toEqual(one);
    }
  });
});
