import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { applySeededDropout } from '../../../src/backend/fused/seeded-dropout-mask.js';
import { layerNormRows } from '../../../src/backend/fused/layer-norm-rows.js';
import { softmaxGradRows } from '../../../src/backend/fused/softmax-grad-rows.js';
import { fftRows } from '../../../src/spectral/plan/complex-rows.js';
import { fnetMixRows } from '../../../src/spectral/plan/fnet-mix-rows.js';
import { irfftRows, rfftBins, rfftRows } from '../../../src/spectral/plan/real-rows.js';
import { SCRATCH_LENGTH, TASK, partRange, runPart } from '../../../src/backend/parallel/tasks.js';
import { addPartialSums } from '../../../src/backend/parallel/heap-pool.js';
import { layerNormGradRows } from '../../../src/backend/fused/layer-norm.js';
import { reduceBlocks } from '../../../src/backend/wasm/reduce-blocks.js';
import { adamWValues } from '../../../src/backend/fused/adamw-values.js';

const root = resolve(__dirname, '../../../../..');

/** A shared heap with x at byte 0 and room for the outputs after it. */
function sharedHeap(floats: number): { buffer: SharedArrayBuffer; x: Float32Array } {
  const buffer = new SharedArrayBuffer(4 * floats);
  const x = new Float32Array(buffer, 0, floats);
  for (let i = 0; i < floats; i++) x[i] = Math.sin(i * 0.37) + 0.1 * Math.cos(i);
  return { buffer, x };
}

describe('the heap tasks, slice by slice', () => {
  it('cover every item once, in order, on aligned starts', () => {
    for (const [count, parts, align] of [[10, 3, 1], [11, 4, 2], [3, 8, 1], [0, 2, 1], [1_000_001, 7, 2]] as const) {
      let next = 0;
      for (let part = 0; part < parts; part++) {
        const [start, end] = partRange(count, parts, part, align);
        expect(start).toBe(next);
        if (end > start && part > 0) expect(start % align).toBe(0);
        next = end;
      }
      expect(next).toBe(count);
    }
  });

  it('give seeded dropout bit for bit the mask of one pass, for any number of slices, at any offset', () => {
    const size = 10_001;
    const { buffer, x } = sharedHeap(2 * size);
    const attrs = { seed: 1234567, rate: 0.25, offset: 3 };
    const want = new Float32Array(size);
    applySeededDropout(x.subarray(0, size), want, attrs);
    for (const parts of [1, 2, 3, 8]) {
      const job = Float64Array.from([TASK.seededDropout, 0, 4 * size, size, attrs.seed, attrs.rate, attrs.offset, 0]);
      for (let part = 0; part < parts; part++) runPart(buffer, job, part, parts);
      expect(new Float32Array(buffer, 4 * size, size)).toEqual(want);
    }
  });

  it('give the softmax gradient of one pass, row by row', () => {
    const [rows, n] = [37, 64];
    const { buffer } = sharedHeap(3 * rows * n);
    const view = (k: number) => new Float32Array(buffer, 4 * k * rows * n, rows * n);
    const want = new Float32Array(rows * n);
    softmaxGradRows(view(0), view(1), rows, n, want);
    for (const parts of [2, 5]) {
      const job = Float64Array.from([TASK.softmaxGrad, 0, 4 * rows * n, 8 * rows * n, rows, n, 0, 0]);
      for (let part = 0; part < parts; part++) runPart(buffer, job, part, parts);
      expect(view(2)).toEqual(want);
    }
  });

  it('give the AdamW update of one pass, element by element', () => {
    const size = 1001;
    const { buffer } = sharedHeap(7 * size);
    const view = (k: number) => new Float32Array(buffer, 4 * k * size, size);
    view(3).set(view(3).map((x) => x * x)); // v >= 0
    const attrs = { beta1: 0.9, beta2: 0.98, correction1: 0.271, correction2: 0.0776, eps: 1e-9, rate: 1e-3, weightDecay: 0.01 };
    const want = [new Float32Array(size), new Float32Array(size), new Float32Array(size)] as const;
    adamWValues(view(0), view(1), view(2), view(3), 0.5, attrs, ...want);
    const { beta1, beta2, correction1, correction2, eps, rate, weightDecay } = attrs;
    for (const parts of [2, 3, 7]) {
      for (const k of [4, 5, 6]) view(k).fill(Number.NaN);
      const job = Float64Array.from([TASK.adamW, ...[0, 1, 2, 3, 4, 5, 6].map((k) => 4 * k * size), size, 0.5, beta1, beta2, correction1, correction2, eps, rate, weightDecay]);
      for (let part = 0; part < parts; part++) runPart(buffer, job, part, parts);
      expect([view(4), view(5), view(6)], `${parts} slices`).toEqual([...want]);
    }
  });

  it('give sums and means of one pass, bit for bit, sliced by rows or by columns', () => {
    // [outer, reduced, inner]: innermost sums, a bias gradient (one row of outputs, split by
    // columns), a mean over the middle axis (split by rows), and a width not a multiple of 16.
    for (const [outer, reduced, inner, divisor] of [[37, 50, 1, 1], [1, 300, 128, 1], [8, 40, 64, 40], [3, 17, 50, 1]] as const) {
      const size = outer * reduced * inner;
      const { buffer } = sharedHeap(size + outer * inner);
      const heap = new Float32Array(buffer);
      reduceBlocks(heap, 0, size, outer, reduced, inner, divisor);
      const want = heap.slice(size);
      // Each output against a float64 sum in the same order.
      expect(want[outer * inner - 1]).toBe(Math.fround(Array.from({ length: reduced }, (_, r) => heap[((outer - 1) * reduced + r) * inner + inner - 1]!).reduce((a, b) => a + b, 0) / divisor));
      for (const parts of [2, 3, 7]) {
        heap.fill(Number.NaN, size);
        const job = Float64Array.from([TASK.reduce, 0, 4 * size, outer, reduced, inner, divisor]);
        for (let part = 0; part < parts; part++) runPart(buffer, job, part, parts);
        expect(heap.slice(size)).toEqual(want);
      }
    }
  });

  it('give rfft, irfft, FNet mixing and layer norm of one pass, for any number of slices', () => {
    const check = (floatsNeeded: number, job: (heap: SharedArrayBuffer) => number[], outAt: number, outLength: number, serial: (heap: SharedArrayBuffer) => void) => {
      const { buffer } = sharedHeap(floatsNeeded);
      serial(buffer);
      const want = new Float32Array(buffer, outAt, outLength).slice();
      for (const parts of [2, 3, 7]) {
        new Float32Array(buffer, outAt, outLength).fill(Number.NaN);
        const args = Float64Array.from(job(buffer));
        for (let part = 0; part < parts; part++) runPart(buffer, args, part, parts);
        expect(new Float32Array(buffer, outAt, outLength)).toEqual(want);
      }
    };
    const [rows, n, h] = [13, 64, rfftBins(64)];
    // rfft: x [rows, n] at 0, re and im [rows, h] after it; compared on re then im.
    const rfftAt = { re: 4 * rows * n, im: 4 * (rows * n + rows * h) };
    const rfftSerial = (heap: SharedArrayBuffer) => rfftRows(new Float32Array(heap, 0, rows * n), rows, n, n, new Float32Array(heap, rfftAt.re, rows * h), new Float32Array(heap, rfftAt.im, rows * h), 1, 2);
    const rfftJob = () => [TASK.rfft, 0, rfftAt.re, rfftAt.im, rows, n, n, 1, 2, 1];
    check(rows * (n + 2 * h), rfftJob, rfftAt.re, rows * h, rfftSerial);
    check(rows * (n + 2 * h), rfftJob, rfftAt.im, rows * h, rfftSerial);
    // irfft: re, im [rows, h] at 0, y [rows, n] after them.
    const yAt = 4 * 2 * rows * h;
    check(rows * (2 * h + n), () => [TASK.irfft, 0, 4 * rows * h, yAt, rows, n, n, 0.5, 0.5, 1], yAt, rows * n,
      (heap) => irfftRows(new Float32Array(heap, 0, rows * h), new Float32Array(heap, 4 * rows * h, rows * h), rows, n, new Float32Array(heap, yAt, rows * n), n, 0.5, 0.5));
    // The same along the middle axis of [3, n, 5] (15 strided rows, pairs across the outer boundary).
    const [outer, inner] = [3, 5];
    const strided = outer * inner;
    const sAt = { re: 4 * strided * n, im: 4 * (strided * n + strided * h) };
    const sSerial = (heap: SharedArrayBuffer) => rfftRows(new Float32Array(heap, 0, strided * n), strided, n, n, new Float32Array(heap, sAt.re, strided * h), new Float32Array(heap, sAt.im, strided * h), 1, 2, { inner });
    check(strided * (n + 2 * h), () => [TASK.rfft, 0, sAt.re, sAt.im, strided, n, n, 1, 2, inner], sAt.im, strided * h, sSerial);
    const sYAt = 4 * 2 * strided * h;
    check(strided * (2 * h + n), () => [TASK.irfft, 0, 4 * strided * h, sYAt, strided, n, n, 0.5, 0.5, inner], sYAt, strided * n,
      (heap) => irfftRows(new Float32Array(heap, 0, strided * h), new Float32Array(heap, 4 * strided * h, strided * h), strided, n, new Float32Array(heap, sYAt, strided * n), n, 0.5, 0.5, { inner }));
    // Complex DFTs of 9 rows of 12 (not a power of two: the JavaScript rows), inverse, on the real output.
    const [fr, fn] = [9, 12];
    const fAt = { im: 4 * fr * fn, outRe: 8 * fr * fn, outIm: 12 * fr * fn };
    check(4 * fr * fn, () => [TASK.fft, 0, fAt.im, fAt.outRe, fAt.outIm, fr, fn, 1, 0.5, -1], fAt.outRe, fr * fn,
      (heap) => fftRows(new Float32Array(heap, 0, fr * fn), new Float32Array(heap, fAt.im, fr * fn), fr, fn, new Float32Array(heap, fAt.outRe, fr * fn), new Float32Array(heap, fAt.outIm, fr * fn), true, 0.5));
    // FNet mixing of [5, 16, 8].
    const [batch, N, D] = [5, 16, 8];
    check(2 * batch * N * D, () => [TASK.fnetMix, 0, 4 * batch * N * D, batch, N, D], 4 * batch * N * D, batch * N * D,
      (heap) => fnetMixRows(new Float32Array(heap, 0, batch * N * D), batch, N, D, new Float32Array(heap, 4 * batch * N * D, batch * N * D)));
    // Layer norm of [rows, n] with scale and bias of n: y after them, then mean and rstd.
    const at = { scale: 4 * rows * n, bias: 4 * (rows * n + n), y: 4 * (rows * n + 2 * n), mean: 4 * (2 * rows * n + 2 * n), rstd: 4 * (2 * rows * n + 2 * n + rows) };
    const lnSerial = (heap: SharedArrayBuffer) => layerNormRows(new Float32Array(heap, 0, rows * n), new Float32Array(heap, at.scale, n), new Float32Array(heap, at.bias, n), n, 1e-5,
      new Float32Array(heap, at.y, rows * n), new Float32Array(heap, at.mean, rows), new Float32Array(heap, at.rstd, rows));
    const lnJob = () => [TASK.layerNorm, 0, at.scale, at.bias, at.y, at.mean, at.rstd, rows, n, 1e-5];
    check(2 * rows * n + 2 * n + 2 * rows, lnJob, at.y, rows * n, lnSerial);
    check(2 * rows * n + 2 * n + 2 * rows, lnJob, at.rstd, rows, lnSerial);
  });
});

/** Layer norm's gradient inputs on a shared heap: dy, x [rows, d], scale [d], mean, rstd [rows], then dx [rows, d]. */
function layerNormGradHeap(rows: number, d: number) {
  const at = { dy: 0, x: 4 * rows * d, scale: 8 * rows * d, mean: 4 * (2 * rows * d + d), rstd: 4 * (2 * rows * d + d + rows), dx: 4 * (2 * rows * d + d + 2 * rows) };
  const { buffer } = sharedHeap(3 * rows * d + d + 2 * rows);
  const view = (byteOffset: number, length: number) => new Float32Array(buffer, byteOffset, length);
  const [dy, x, scale, mean, rstd, dx] = [view(at.dy, rows * d), view(at.x, rows * d), view(at.scale, d), view(at.mean, rows), view(at.rstd, rows), view(at.dx, rows * d)] as const;
  for (let i = 0; i < rows * d; i++) x[i] = 3 * Math.sin(i * 0.011) + 0.5 * Math.cos(i * 0.7);
  for (let j = 0; j < d; j++) scale[j] = 1 + 0.1 * Math.sin(j);
  layerNormRows(x, scale, new Float32Array(d), d, 1e-5, new Float32Array(rows * d), mean, rstd);
  return { buffer, at, dy, x, scale, mean, rstd, dx };
}

describe("layer norm's gradient, slice by slice", () => {
  it('gives dx of one pass, and scale and bias gradients within float reassociation of it, the same on every run', () => {
    const [rows, d] = [37, 48];
    const { buffer, at, dy, x, scale, mean, rstd, dx } = layerNormGradHeap(rows, d);
    const want = { dx: new Float32Array(rows * d), dscale: new Float32Array(d), dbias: new Float32Array(d) };
    layerNormGradRows(dy, x, scale, mean, rstd, d, want.dx, want.dscale, want.dbias);
    const scratch = new Float64Array(SCRATCH_LENGTH);
    const job = Float64Array.from([TASK.layerNormGrad, at.dy, at.x, at.scale, at.mean, at.rstd, at.dx, rows, d]);
    for (const parts of [1, 2, 3, 8, 40]) {
      if (2 * d * parts > scratch.length) continue;
      const runs = [0, 1].map(() => {
        dx.fill(Number.NaN);
        scratch.fill(Number.NaN);
        for (let part = 0; part < parts; part++) runPart(buffer, job, part, parts, scratch);
        const got = { dx: dx.slice(), dscale: new Float32Array(d), dbias: new Float32Array(d) };
        addPartialSums(scratch, parts, d, got.dscale, got.dbias);
        return got;
      });
      const [got, again] = runs as [typeof want, typeof want];
      expect(got.dx, `dx, ${parts} slices`).toEqual(want.dx);
      expect(again, `a second run, ${parts} slices`).toEqual(got);
      if (parts === 1) expect(got).toEqual(want);
      for (const key of ['dscale', 'dbias'] as const) {
        for (let j = 0; j < d; j++) {
          const [a, b] = [got[key][j]!, want[key][j]!];
          expect(Math.abs(a - b), `${key}[${j}], ${parts} slices`).toBeLessThanOrEqual(1e-6 * Math.max(Math.abs(b), 1e-30) + 1e-30);
        }
      }
    }
  });

  it('refuses a job without room for its partial sums', () => {
    const { buffer, at } = layerNormGradHeap(4, 8);
    const job = Float64Array.from([TASK.layerNormGrad, at.dy, at.x, at.scale, at.mean, at.rstd, at.dx, 4, 8]);
    expect(() => runPart(buffer, job, 0, 2)).toThrow(/partial sums/);
  });
});

// The pool's workers run the compiled worker script (Node's workers load only JavaScript), so
// this part loads the compiled pool, as the `lra` program does.
describe('the heap pool, with its worker threads', () => {
  const compiled = join(root, 'packages/models/dist/backend/parallel/heap-pool.js');
  beforeAll(() => {
    if (!existsSync(compiled)) spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
  }, 180_000);

  it('splits a kernel call over the threads and returns what one thread computes', async () => {
    const pool = (await import(pathToFileURL(compiled).href)) as typeof import('../../../src/backend/parallel/heap-pool.js');
    const size = 1 << 18;
    const buffer = new SharedArrayBuffer(4 * 3 * size + 4 * (3 * 512 * 128 + 128 + 2 * 512));
    expect(await pool.startHeapPool({ buffer }, 2)).toBe(2);
    expect(pool.heapThreads()).toBe(2);
    const x = new Float32Array(buffer, 0, size);
    for (let i = 0; i < size; i++) x[i] = Math.cos(i * 0.01);
    const attrs = { seed: 99, rate: 0.1, offset: 5 };
    const want = new Float32Array(size);
    applySeededDropout(x, want, attrs);
    const out = new Float32Array(buffer, 4 * size, size);
    expect(pool.splitSeededDropout(x, out, attrs)).toBe(true);
    expect(out).toEqual(want);
    // Many calls back to back: whichever thread takes a slice, every call gives one pass's mask.
    for (let seed = 1; seed <= 200; seed++) {
      const a = { seed, rate: 0.3, offset: seed };
      applySeededDropout(x, want, a);
      expect(pool.splitSeededDropout(x, out, a)).toBe(true);
      let same = true;
      for (let i = 0; i < size; i += 97) same &&= out[i] === want[i];
      expect(same, `seed ${seed}`).toBe(true);
    }
    // Too small to pay for the hand-over, or not on shared memory: left to the caller.
    expect(pool.splitSeededDropout(x.subarray(0, 100), out.subarray(0, 100), attrs)).toBe(false);
    expect(pool.splitSeededDropout(new Float32Array(size), new Float32Array(size), attrs)).toBe(false);
    // Layer norm's gradient on the workers: dx as on one thread, dscale and dbias within float
    // reassociation of it, and the same bits on every call.
    const [rows, d] = [512, 128];
    const lnAt = 8 * size;
    const lnView = (k: number, length: number) => new Float32Array(buffer, lnAt + 4 * k, length);
    const [dy, lx, scale, mean, rstd, dx] = [lnView(0, rows * d), lnView(rows * d, rows * d), lnView(2 * rows * d, d), lnView(2 * rows * d + d, rows), lnView(2 * rows * d + d + rows, rows), lnView(2 * rows * d + d + 2 * rows, rows * d)] as const;
    expect(lnAt + 4 * (3 * rows * d + d + 2 * rows)).toBeLessThanOrEqual(buffer.byteLength);
    for (let i = 0; i < rows * d; i++) [dy[i], lx[i]] = [Math.sin(i * 0.013), 2 * Math.cos(i * 0.0071) + 0.3];
    for (let j = 0; j < d; j++) scale[j] = 1 + 0.01 * j;
    layerNormRows(lx, scale, new Float32Array(d), d, 1e-5, new Float32Array(rows * d), mean, rstd);
    const one = { dx: new Float32Array(rows * d), dscale: new Float32Array(d), dbias: new Float32Array(d) };
    layerNormGradRows(dy, lx, scale, mean, rstd, d, one.dx, one.dscale, one.dbias);
    let first: Float32Array[] | undefined;
    for (let call = 0; call < 20; call++) {
      const [dscale, dbias] = [new Float32Array(d), new Float32Array(d)];
      dx.fill(Number.NaN);
      expect(pool.splitLayerNormGrad(dy, lx, scale, mean, rstd, d, dx, dscale, dbias)).toBe(true);
      expect(dx).toEqual(one.dx);
      for (const [got, want] of [[dscale, one.dscale], [dbias, one.dbias]] as const) {
        for (let j = 0; j < d; j++) expect(Math.abs(got[j]! - want[j]!)).toBeLessThanOrEqual(1e-6 * Math.abs(want[j]!) + 1e-30);
      }
      first ??= [dscale, dbias];
      expect([dscale, dbias]).toEqual(first);
    }
    // A slice that throws on a worker fails the call on the main thread instead of hanging it.
    expect(() => pool.splitSeededDropout(x, out, { seed: 1.5, rate: 0.1 })).toThrow(/seed must be an integer|heap worker failed/);
  });
});
