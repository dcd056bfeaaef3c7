import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { linear, linearAttentionHeads, LINEAR_EPS } from '../../src/mixers/linear.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { seededUniform } from '../support/random.js';
import {
  buildMixer,
  dot64,
  headTensor,
  inputValues,
  kernelAverage64,
  leakedTensors,
  maxAbsDiff,
  mixerGradients,
  outputAt,
  paddingChangesNothing,
  tailMask,
  type Heads64,
} from './attention-family.js';
import { trainsOnSyntheticTask } from './support/trains.js';

const phi = (x: number): number => (x > 0 ? x + 1 : Math.exp(x));
const dims: Heads64 = { bh: 4, n: 7, d: 4 };
const q = seededUniform('linear-q', dims.bh * dims.n * dims.d, -2, 2);
const k = seededUniform('linear-k', dims.bh * dims.n * dims.d, -2, 2);
const v = seededUniform('linear-v', dims.bh * dims.n * dims.d, -2, 2);
// Heads 0 and 1 have two padded keys, heads 2 and 3 none.
const keyReal = (h: number, j: number): boolean => h >= 2 || j < dims.n - 2;

function quadratic(causal: boolean): Float64Array {
  const { n, d } = dims;
  return kernelAverage64(
    dims,
    (h, i, j) => {
      if (!keyReal(h, j) || (causal && j > i)) return null;
      let s = 0;
      for (let c = 0; c < d; c++) s += phi(q[(h * n + i) * d + c]!) * phi(k[(h * n + j) * d + c]!);
      return s;
    },
    v,
    LINEAR_EPS,
  );
}

function keyMask(): tf.Tensor3D {
  const values = new Float32Array(dims.bh * dims.n);
  for (let h = 0; h < dims.bh; h++) for (let j = 0; j < dims.n; j++) values[h * dims.n + j] = keyReal(h, j) ? 1 : 0;
  return tf.tensor3d(values, [dims.bh, dims.n, 1]);
}

const sizes = { batch: 2, length: 7, dModel: 8, heads: 2 };

describe('linear attention', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  for (const causal of [false, true]) {
    it(`equals its quadratic form phi(Q) phi(K)^T, masked and normalised (causal ${causal})`, () => {
      const y = tf.tidy(() =>
        linearAttentionHeads(headTensor(q, dims), headTensor(k, dims), headTensor(v, dims), keyMask(), causal).dataSync(),
      );
      expect(maxAbsDiff(y, quadratic(causal))).toBeLessThan(2e-5);
    });
  }

  it('causal form with q = k = 1 and v = [1, 0, 0] averages the prefix: [1, 1/2, 1/3]', () => {
    const y = tf.tidy(() =>
      linearAttentionHeads(tf.ones([1, 3, 1]), tf.ones([1, 3, 1]), tf.tensor3d([1, 0, 0], [1, 3, 1]), null, true).dataSync(),
    );
    expect(Array.from(y)).toEqual([expect.closeTo(1, 5), expect.closeTo(1 / 2, 5), expect.closeTo(1 / 3, 5)]);
  });

  it('has gradients matching finite differences for the input and every parameter', () => {
    const built = buildMixer(linear, {}, sizes);
    const mask = tailMask(sizes, [2, 0]);
    const { scaled } = mixerGradients(built, inputValues('linear-x', sizes), mask, sizes);
    expect(Object.keys(scaled).sort()).toEqual(
      ['input', 'mixer/key/kernel', 'mixer/output/kernel', 'mixer/query/kernel', 'mixer/value/kernel'].sort(),
    );
    for (const [name, error] of Object.entries(scaled)) expect(error, name).toBeLessThanOrEqual(1);
    built.store.dispose();
  });

  it('has gradients matching finite differences in its causal form with rotary positions', () => {
    const built = buildMixer(linear, { causal: true }, sizes, { rope: true });
    const { scaled } = mixerGradients(built, inputValues('linear-x2', sizes), null, sizes);
    for (const [name, error] of Object.entries(scaled)) expect(error, name).toBeLessThanOrEqual(1);
    built.store.dispose();
  });

  it('ignores the content of padded positions', () => {
    const built = buildMixer(linear, {}, sizes);
    expect(paddingChangesNothing(built, sizes, tailMask(sizes, [3, 1]), inputValues('linear-pad', sizes))).toBeLessThan(1e-6);
    built.store.dispose();
  });

  for (const length of [1, 7, 65, 1025]) {
    it(`maps [B, ${length}, D] to [B, ${length}, D] with finite values`, () => {
      const s = { ...sizes, length };
      const built = buildMixer(linear, {}, s);
      expect(outputAt(built, s)).toEqual({ shape: [2, length, 8], finite: true });
      built.store.dispose();
    });
  }

  it('rotates queries and keys when the encoder asks for rotary positions', () => {
    const plain = buildMixer(linear, {}, sizes);
    const rotated = buildMixer(linear, {}, sizes, { rope: true });
    const run = (b: typeof plain) =>
      tf.tidy(() => b.mixer.apply(tf.tensor3d(inputValues('r', sizes), [2, 7, 8]), null, inferenceContext()).dataSync());
    expect(maxAbsDiff(run(plain), run(rotated))).toBeGreaterThan(1e-3);
    plain.store.dispose();
    rotated.store.dispose();
  });

  it('validates widths', () => {
    const args = { dModel: 8, heads: 3, seqLen: 7, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
    expect(linear.validate!(args, linear.defaults)).toBe('qkvDim 8 is not divisible by 3 heads');
    expect(linear.validate!({ ...args, heads: 2, rope: true }, { ...linear.defaults, qkvDim: 6 })).toBe(
      'rope needs an even head width; qkvDim 6 / 2 heads = 3',
    );
    expect(linear.validate!({ ...args, heads: 2 }, linear.defaults)).toBeNull();
  });

  it('leaves no tensors behind', () => {
    const built = buildMixer(linear, { causal: true }, sizes);
    expect(leakedTensors(built, sizes)).toBe(0);
    built.store.dispose();
  });

  it('trains: a few dozen steps lower the loss of a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('linear', {}, { steps: 40 });
    expect(lastLoss).toBeLessThan(0.8 * firstLoss);
    expect(leaked).toBe(0);
  });
});
