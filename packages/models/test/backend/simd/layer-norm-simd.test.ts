// The SIMD layer norm module (src/backend/simd/layer-norm.wat): forward and dx against the
// JavaScript rows (float64 arithmetic), and slices over the heap's threads bit for bit.
import { describe, expect, it } from 'vitest';
import { layerNormGradRowSums, layerNormRows } from '../../../src/backend/fused/layer-norm-rows.js';
import { SCRATCH_LENGTH, TASK, runPart } from '../../../src/backend/parallel/tasks.js';
import { columnSumsSimdFor, layerNormSimdFor, simdFailure } from '../../../src/backend/simd/simd-kernels.js';
import { newMemory } from './memory.js';

function maxRelative(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

/** x, dy [rows, d], scale, bias [d], then y, dx [rows, d], mean, rstd [rows], all on one memory. */
function setUp(rows: number, d: number, shared: boolean) {
  const memory = newMemory(4, shared);
  let next = 16;
  const take = (n: number) => { const a = new Float32Array(memory.buffer, next, n); next += 4 * n + 16; return a; };
  const t = { x: take(rows * d), dy: take(rows * d), scale: take(d), bias: take(d), y: take(rows * d), dx: take(rows * d), mean: take(rows), rstd: take(rows) };
  for (let i = 0; i < rows * d; i++) {
    t.x[i] = 3 * Math.sin(i * 0.77) + (i % d) * 0.05 + Math.floor(i / d);
    t.dy[i] = Math.cos(i * 0.41);
  }
  for (let j = 0; j < d; j++) {
    t.scale[j] = 1 + 0.1 * Math.sin(j);
    t.bias[j] = 0.05 * j;
  }
  return { memory, ...t };
}

describe('the SIMD layer norm module', () => {
  it('refuses widths that are not multiples of 4 (the JavaScript rows take them)', () => {
    const memory = newMemory(1, false);
    expect(layerNormSimdFor(memory, 6)).toBeNull();
    expect(layerNormSimdFor(memory, 8)).not.toBeNull();
  });

  for (const [rows, d] of [[37, 64], [5, 12]] as const) {
    it(`matches the JavaScript rows at [${rows}, ${d}], forward and dx`, () => {
      const t = setUp(rows, d, false);
      const simd = layerNormSimdFor(t.memory, d);
      expect(simd, simdFailure()).not.toBeNull();
      simd!.layerNorm(t.x.byteOffset, t.scale.byteOffset, t.bias.byteOffset, t.y.byteOffset, t.mean.byteOffset, t.rstd.byteOffset, rows, d, 1e-5);
      const want = { y: new Float32Array(rows * d), mean: new Float32Array(rows), rstd: new Float32Array(rows), dx: new Float32Array(rows * d) };
      layerNormRows(t.x, t.scale, t.bias, d, 1e-5, want.y, want.mean, want.rstd);
      // float32 lanes against float64 rows: x lies up to 38 from 0, so the mean carries ~38 x 6e-8.
      expect(maxRelative(t.y, want.y)).toBeLessThan(5e-6);
      expect(maxRelative(t.mean, want.mean)).toBeLessThan(1e-6);
      expect(maxRelative(t.rstd, want.rstd)).toBeLessThan(1e-6);
      simd!.layerNormGradDx(t.dy.byteOffset, t.x.byteOffset, t.scale.byteOffset, t.mean.byteOffset, t.rstd.byteOffset, t.dx.byteOffset, rows, d);
      layerNormGradRowSums(t.dy, t.x, t.scale, t.mean, t.rstd, d, want.dx, new Float64Array(d), new Float64Array(d));
      expect(maxRelative(t.dx, want.dx)).toBeLessThan(5e-6);
    });
  }

  it('gives the bits of one call when a job is sliced over threads, column sums included', () => {
    // 77 rows: two blocks of 32 and a partial one in the column sums.
    const [rows, d] = [77, 24];
    const t = setUp(rows, d, true);
    const simd = layerNormSimdFor(t.memory, d)!;
    const sums = columnSumsSimdFor(t.memory)!;
    const dscale = new Float32Array(t.memory.buffer, 4 * 60_000, d);
    const dbias = new Float32Array(t.memory.buffer, 4 * 61_000, d);
    const scratchAt = 4 * 62_000;
    simd.layerNorm(t.x.byteOffset, t.scale.byteOffset, t.bias.byteOffset, t.y.byteOffset, t.mean.byteOffset, t.rstd.byteOffset, rows, d, 1e-5);
    simd.layerNormGradDx(t.dy.byteOffset, t.x.byteOffset, t.scale.byteOffset, t.mean.byteOffset, t.rstd.byteOffset, t.dx.byteOffset, rows, d);
    sums.layerNormColumnSums(t.dy.byteOffset, t.x.byteOffset, t.mean.byteOffset, t.rstd.byteOffset, rows, 4 * d, d, dscale.byteOffset, dbias.byteOffset, scratchAt);
    const want = { y: t.y.slice(), mean: t.mean.slice(), rstd: t.rstd.slice(), dx: t.dx.slice(), dscale: dscale.slice(), dbias: dbias.slice() };
    // The column sums are the JavaScript rows' (float64, row order), rounded once.
    const reference = { scale: new Float64Array(d), bias: new Float64Array(d) };
    layerNormGradRowSums(t.dy, t.x, t.scale, t.mean, t.rstd, d, new Float32Array(rows * d), reference.scale, reference.bias);
    expect(want.dscale).toEqual(Float32Array.from(reference.scale));
    expect(want.dbias).toEqual(Float32Array.from(reference.bias));
    for (const parts of [2, 3, 7]) {
      for (const a of [t.y, t.dx, t.mean, t.rstd, dscale, dbias]) a.fill(Number.NaN);
      const forward = Float64Array.from([TASK.layerNorm, t.x.byteOffset, t.scale.byteOffset, t.bias.byteOffset, t.y.byteOffset, t.mean.byteOffset, t.rstd.byteOffset, rows, d, 1e-5]);
      for (let part = 0; part < parts; part++) runPart(t.memory.buffer, forward, part, parts, undefined, t.memory);
      expect([t.y, t.mean, t.rstd]).toEqual([want.y, want.mean, want.rstd]);
      const backward = Float64Array.from([TASK.layerNormGrad, t.dy.byteOffset, t.x.byteOffset, t.scale.byteOffset, t.mean.byteOffset, t.rstd.byteOffset, t.dx.byteOffset, rows, d,
        dscale.byteOffset, dbias.byteOffset, scratchAt]);
      for (let part = 0; part < parts; part++) runPart(t.memory.buffer, backward, part, parts, new Float64Array(SCRATCH_LENGTH), t.memory);
      expect([t.dx, dscale, dbias]).toEqual([want.dx, want.dscale, want.dbias]);
    }
  });
});
