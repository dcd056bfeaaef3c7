import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { registerFusedKernels } from '../../../src/backend/fused/register.js';
import {
  SEEDED_DROPOUT_KERNEL, applySeededDropout, seededDropoutKeeps, seededDropoutMask,
} from '../../../src/backend/fused/seeded-dropout.js';
import { dropout } from '../../../src/nn/dropout.js';
import { trainingContext } from '../../../src/nn/context.js';
import { dropoutSimdFor } from '../../../src/backend/simd/simd-kernels.js';
import { applySeededDropoutPair } from '../../../src/backend/fused/seeded-dropout-mask.js';
import { heapOf } from '../simd/memory.js';
import { normalArray } from '../numeric.js';
import { useBackend, valuesOn } from '../on-backends.js';

registerFusedKernels();

/** Values with -0 read as 0: a dropped negative element is -0 when multiplied by the mask. */
const unsigned = (values: ArrayLike<number>): number[] => Array.from(values, (v) => v + 0);

const run = (x: tf.Tensor, rate: number, seed: number): tf.Tensor =>
  tf.engine().runKernel(SEEDED_DROPOUT_KERNEL, { x }, { rate, seed }) as tf.Tensor;

/** Binomial count within 5 standard deviations of size * p. */
function expectFraction(count: number, size: number, p: number, label: string): void {
  const sigma = Math.sqrt(size * p * (1 - p));
  expect(Math.abs(count - size * p), `${label}: ${count} of ${size}, expected ${size * p}`).toBeLessThan(5 * sigma);
}

describe('seeded dropout kernel', () => {
  it('gives the same values on cpu and wasm, exactly x / (1 - rate) where kept', async () => {
    const values = normalArray('dropout', 3 * 37 * 41);
    const compute = () => run(tf.tensor(values, [3, 37, 41]), 0.3, 12345);
    const [cpu] = await valuesOn('cpu', compute);
    const [wasm] = await valuesOn('wasm', compute);
    expect(Array.from(wasm!)).toEqual(Array.from(cpu!));
    const scale = Math.fround(1 / 0.7);
    for (let i = 0; i < values.length; i++) {
      if (cpu![i] !== 0) expect(cpu![i]).toBe(Math.fround(values[i]! * scale));
    }
  });

  it('drops a fraction `rate`, independently across elements and seeds', () => {
    const size = 200_000;
    for (const rate of [0.1, 0.5, 0.9]) {
      const a = seededDropoutMask(size, { rate, seed: 7 });
      const b = seededDropoutMask(size, { rate, seed: 8 });
      let dropped = 0;
      let bothDropped = 0;
      let neighboursDropped = 0;
      for (let i = 0; i < size; i++) {
        if (a[i] === 0) dropped++;
        if (a[i] === 0 && b[i] === 0) bothDropped++;
        if (i > 0 && a[i] === 0 && a[i - 1] === 0) neighboursDropped++;
      }
      expectFraction(dropped, size, rate, `rate ${rate}`);
      expectFraction(bothDropped, size, rate * rate, `rate ${rate}, seeds 7 and 8`);
      expectFraction(neighboursDropped, size - 1, rate * rate, `rate ${rate}, neighbours`);
    }
  });

  it('gives unrelated masks for nearby seeds and for seeds above 2^32', () => {
    const size = 100_000;
    const base = seededDropoutMask(size, { rate: 0.5, seed: 1 });
    for (const seed of [2, 2 ** 31 - 1, 2 ** 32 + 1, 2 ** 40 + 1]) {
      const other = seededDropoutMask(size, { rate: 0.5, seed });
      let agree = 0;
      for (let i = 0; i < size; i++) if ((other[i] === 0) === (base[i] === 0)) agree++;
      expectFraction(agree, size, 0.5, `seed ${seed} against seed 1`);
    }
  });

  it('is the identity at rate 0 and rejects rates outside [0, 1) and non-integer seeds', () => {
    const x = Float32Array.from([1, -2, 3]);
    const out = new Float32Array(3);
    applySeededDropout(x, out, { rate: 0, seed: 3 });
    expect(Array.from(out)).toEqual([1, -2, 3]);
    expect(() => applySeededDropout(x, out, { rate: 1, seed: 3 })).toThrow(/rate must be in \[0, 1\)/);
    expect(() => applySeededDropout(x, out, { rate: 0.5, seed: 1.5 })).toThrow(/seed must be an integer/);
  });

  it('has the mask as its gradient, on both backends, and leaks no tensors', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      const x = tf.tensor(normalArray('x', 6 * 50), [6, 50]);
      const w = tf.tensor(normalArray('w', 6 * 50), [6, 50]);
      const grad = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(run(input, 0.4, 99), w)))(x);
      const mask = seededDropoutMask(300, { rate: 0.4, seed: 99 });
      const weights = w.dataSync();
      const expected = Array.from(mask, (m, i) => Math.fround(weights[i]! * m));
      expect(unsigned(grad.dataSync()), backend).toEqual(unsigned(expected));
      tf.dispose([x, w, grad]);
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});

describe('dropout', () => {
  it('applies the same mask with and without the fused kernel', async () => {
    await useBackend('cpu');
    const values = normalArray('fallback', 40 * 30);
    const fused = dropout(tf.tensor(values, [40, 30]), 0.2, trainingContext(5, 6));
    const seed = trainingContext(5, 6).nextSeed();
    const mask = seededDropoutMask(values.length, { rate: 0.2, seed });
    expect(unsigned(fused.dataSync())).toEqual(unsigned(Array.from(values, (v, i) => Math.fround(v * mask[i]!))));
    // A backend without the kernel multiplies by the mask made in JavaScript.
    const kernel = tf.getKernel(SEEDED_DROPOUT_KERNEL, 'cpu');
    tf.unregisterKernel(SEEDED_DROPOUT_KERNEL, 'cpu');
    try {
      const composed = dropout(tf.tensor(values, [40, 30]), 0.2, trainingContext(5, 6));
      expect(unsigned(composed.dataSync())).toEqual(unsigned(fused.dataSync()));
    } finally {
      tf.registerKernel(kernel);
    }
  });
});

describe('dropout over micro-batches', () => {
  it('takes each slice of a batch from the whole batch mask, at even and odd offsets', async () => {
    await useBackend('cpu');
    // 6 examples of 7 x 3 elements (odd per-example size, so slices start at odd offsets).
    const values = normalArray('slices', 6 * 7 * 3);
    const whole = dropout(tf.tensor(values, [6, 7, 3]), 0.3, trainingContext(11, 4));
    const wholeValues = unsigned(whole.dataSync());
    for (const [offset, count] of [[0, 2], [1, 2], [3, 3], [5, 1]] as const) {
      const part = values.slice(offset * 21, (offset + count) * 21);
      const sliced = dropout(tf.tensor(part, [count, 7, 3]), 0.3, trainingContext(11, 4, { offset, count }));
      expect(unsigned(sliced.dataSync()), `examples ${offset}..${offset + count - 1}`).toEqual(wholeValues.slice(offset * 21, (offset + count) * 21));
    }
  });

  it('keeps exactly the elements seededDropoutKeeps names, past 2^32 pairs too', () => {
    const attrs = { rate: 0.5, seed: 321 };
    const offset = 2 ** 33 + 5; // pair indices above 2^32 mix their high part in
    const out = new Float32Array(9);
    applySeededDropout(new Float32Array(9).fill(1), out, { ...attrs, offset });
    for (let i = 0; i < 9; i++) expect(out[i] !== 0, `element ${offset + i}`).toBe(seededDropoutKeeps(offset + i, attrs));
    // A slice whose pairs run across 2^32 (the kernel takes the high part once per run of 2^32 pairs).
    const across = 2 ** 33 - 7;
    const crossing = new Float32Array(20);
    applySeededDropout(new Float32Array(20).fill(1), crossing, { ...attrs, offset: across });
    for (let i = 0; i < 20; i++) expect(crossing[i] !== 0, `element ${across + i}`).toBe(seededDropoutKeeps(across + i, attrs));
    const low = new Float32Array(9);
    applySeededDropout(new Float32Array(9).fill(1), low, { ...attrs, offset: 5 });
    expect(Array.from(out)).not.toEqual(Array.from(low));
  });

  it('refuses a tensor that is not batch-major over the slice', () => {
    expect(() => dropout(tf.ones([5, 3]), 0.2, trainingContext(1, 1, { offset: 2, count: 2 }))).toThrow(/not batch-major over the pass's 2 examples/);
  });
});

describe('one mask on two arrays (fused attention\'s gradient)', () => {
  it('drops both as two calls would, taking each hash once on the SIMD path or falling back to two calls', () => {
    const n = 64;
    const { memory, arrays } = heapOf(true, [n, n, n, n, n, n]);
    const [x, out, y, outY, wantX, wantY] = arrays as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    x.set(normalArray('pair-x', n));
    y.set(normalArray('pair-y', n));
    const simd = dropoutSimdFor(memory);
    expect(simd).not.toBeNull();
    // Even offset, whole groups: the pair kernel; odd offset or a tail: two calls; no SIMD: JavaScript.
    for (const [offset, length, withSimd] of [[6, 64, true], [7, 64, true], [6, 60, true], [6, 64, false]] as const) {
      const attrs = { rate: 0.3, seed: 77, offset };
      const [xs, ys] = [x.subarray(0, length), y.subarray(0, length)];
      applySeededDropout(xs, wantX.subarray(0, length), attrs);
      applySeededDropout(ys, wantY.subarray(0, length), attrs);
      out.fill(Number.NaN);
      outY.fill(Number.NaN);
      applySeededDropoutPair(xs, out.subarray(0, length), ys, outY.subarray(0, length), attrs, withSimd ? simd : null);
      expect(out.subarray(0, length), `offset ${offset}, ${length}`).toEqual(wantX.subarray(0, length));
      expect(outY.subarray(0, length), `offset ${offset}, ${length}`).toEqual(wantY.subarray(0, length));
      // In place, as the attention's gradient drops dP.
      const inPlace = ys.slice();
      applySeededDropoutPair(xs, out.subarray(0, length), inPlace, inPlace, attrs);
      expect(inPlace).toEqual(wantY.subarray(0, length));
    }
    expect(() => applySeededDropoutPair(x, out, y.subarray(1), outY.subarray(1), { rate: 0.1, seed: 1 })).toThrow('a pair needs four arrays of one length');
  });
});
