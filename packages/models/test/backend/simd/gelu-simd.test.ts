// The SIMD GELU module (src/backend/simd/gelu.wat) on its own memory, shared and plain: values
// against float64, tails shorter than four lanes, and slices over the heap's threads bit for bit.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TASK, runPart } from '../../../src/backend/parallel/tasks.js';
import { geluSimdFor, simdFailure } from '../../../src/backend/simd/simd-kernels.js';
import { erf } from '../../mixers/spectral-reference.js';
import { newMemory } from './memory.js';

const root = resolve(__dirname, '../../../../..');

const cdf = (x: number): number => 0.5 * (1 + erf(x / Math.SQRT2));
const density = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

/** 1,003 values in [-7, 7] (and the extremes) at byte 4 of a memory, dy after them, room for two outputs. */
function setUp(shared: boolean) {
  const n = 1003;
  const memory = newMemory(1, shared);
  const at = { x: 4, dy: 4 + 4 * n, y: 4 + 8 * n, dx: 4 + 12 * n };
  const x = new Float32Array(memory.buffer, at.x, n);
  const dy = new Float32Array(memory.buffer, at.dy, n);
  for (let i = 0; i < n; i++) {
    x[i] = 7 * Math.sin(i * 0.913);
    dy[i] = Math.cos(i * 0.37);
  }
  x[0] = 0;
  x[1] = 30;
  x[2] = -30;
  return { n, memory, at, x, dy, y: new Float32Array(memory.buffer, at.y, n), dx: new Float32Array(memory.buffer, at.dx, n) };
}

describe('the SIMD GELU module', () => {
  it('is the assembly of its source (scripts/wasm/assemble.mjs --check)', () => {
    const run = spawnSync(process.execPath, ['scripts/wasm/assemble.mjs', '--check'], { cwd: root, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
  });

  for (const shared of [true, false]) {
    it(`computes x Phi(x) and dy (Phi + x phi) to float32 accuracy, tails included (${shared ? 'shared' : 'plain'} memory)`, () => {
      const { n, memory, at, x, dy, y, dx } = setUp(shared);
      const simd = geluSimdFor(memory);
      expect(simd, simdFailure()).not.toBeNull();
      simd!.gelu(at.x, at.y, n);
      simd!.geluGrad(at.dy, at.x, at.dx, n);
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        // A&S 7.1.26's 1.5e-7 in erf, float32 lanes: a few 1e-7, relative to |x| where it is large.
        const tol = 5e-7 * Math.max(1, Math.abs(v));
        expect(Math.abs(y[i]! - v * cdf(v)), `y at ${v}`).toBeLessThan(tol);
        expect(Math.abs(dx[i]! - dy[i]! * (cdf(v) + v * density(v))), `dx at ${v}`).toBeLessThan(tol);
      }
      expect([y[0], y[1], y[2]]).toEqual([0, 30, -0]);
      // The last three elements (the tail, one lane at a time) as in a group of four.
      const tail = y.slice(n - 3);
      simd!.gelu(at.x + 4 * (n - 4), at.y + 4 * (n - 4), 4);
      expect(y.slice(n - 3)).toEqual(tail);
    });
  }

  it('passes NaN through', () => {
    const { memory, at, x, y } = setUp(false);
    x[0] = Number.NaN;
    geluSimdFor(memory)!.gelu(at.x, at.y, 1);
    expect(y[0]).toBeNaN();
  });

  it('gives the bits of one call when a job is sliced over threads', () => {
    const { n, memory, at, y, dx } = setUp(true);
    const simd = geluSimdFor(memory)!;
    simd.gelu(at.x, at.y, n);
    simd.geluGrad(at.dy, at.x, at.dx, n);
    const want = { y: y.slice(), dx: dx.slice() };
    for (const parts of [2, 3, 7]) {
      y.fill(Number.NaN);
      dx.fill(Number.NaN);
      const forward = Float64Array.from([TASK.gelu, n, at.y, at.x]);
      const backward = Float64Array.from([TASK.geluGrad, n, at.dx, at.dy, at.x]);
      for (let part = 0; part < parts; part++) {
        runPart(memory.buffer, forward, part, parts, undefined, memory);
        runPart(memory.buffer, backward, part, parts, undefined, memory);
      }
      expect(y).toEqual(want.y);
      expect(dx).toEqual(want.dx);
    }
  });
});
