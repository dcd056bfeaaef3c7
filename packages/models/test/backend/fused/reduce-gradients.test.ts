// Sum's and Mean's gradients (src/backend/fused/reduce-gradients.ts), registered in place of
// tfjs-core's: the bits of tfjs-core's formula (dy times ones, over n for the mean) on cpu and
// wasm, for every kind of axis set, and differentiable once more.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { meanGradient, sumGradient, tileGradient } from '../../../src/backend/fused/reduce-gradients.js';
import { normalArray } from '../numeric.js';
import { useBackend, valuesOn } from '../on-backends.js';

/** tfjs-core's own formula: reshape dy to keep the reduced axes, multiply by ones, divide by n for the mean. */
function coreFormula(dy: tf.Tensor, shape: number[], axes: number[], mean: boolean): tf.Tensor {
  const expanded = tf.reshape(dy, shape.map((size, d) => (axes.includes(d) ? 1 : size)));
  const spread = tf.mul(expanded, tf.ones(shape, 'float32'));
  return mean ? tf.div(spread, axes.reduce((n, d) => n * shape[d]!, 1)) : spread;
}

describe('the Sum and Mean gradients', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  const cases: Array<[number[], number[], boolean]> = [
    [[3, 7, 5], [1], false], // over a sequence
    [[3, 7, 5], [0, 1], true], // a bias gradient's shape
    [[3, 7, 5], [2], true],
    [[4, 6], [0, 1], false],
    [[2, 3, 4, 5], [1, 3], false], // axes apart
    [[5], [0], true],
  ];
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`give tfjs-core's bits on ${backend}, with keepDims or not`, async () => {
      for (const [shape, axes, keepDims] of cases) {
        for (const mean of [false, true]) {
          const reduce = (x: tf.Tensor) => (mean ? tf.mean(x, axes, keepDims) : tf.sum(x, axes, keepDims));
          const x = () => tf.tensor(normalArray('x', shape.reduce((a, b) => a * b, 1)), shape);
          const dyShape = shape.map((size, d) => (axes.includes(d) ? 1 : size)).filter((_, d) => keepDims || !axes.includes(d));
          const dy = () => tf.tensor(normalArray('dy', dyShape.reduce((a, b) => a * b, 1), 3), dyShape);
          const [got] = await valuesOn(backend, () => tf.grad(reduce)(x(), dy()));
          const [want] = await valuesOn(backend, () => coreFormula(dy(), shape, axes, mean));
          expect(got, `${mean ? 'mean' : 'sum'} of [${shape}] over [${axes}]`).toEqual(want);
        }
      }
    });
  }

  it('are the ones tfjs runs, and can be differentiated again', async () => {
    await useBackend('wasm');
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    // d/dx of sum(mean(x^2, 0) * w) is 2 x w / 2; its own gradient in x is w, constant.
    const w = tf.tensor1d([1, -2, 0.5]);
    const inner = (t: tf.Tensor) => tf.sum(tf.mul(tf.mean(tf.square(t), 0), w));
    const first = tf.grad(inner)(x);
    expect(Array.from(first.dataSync())).toEqual([1, -4, 1.5, 4, -10, 3]);
    const second = tf.grad((t: tf.Tensor) => tf.sum(tf.grad(inner)(t)))(x);
    expect(Array.from(second.dataSync())).toEqual([1, -2, 0.5, 1, -2, 0.5]);
    // Registered in place of tfjs-core's.
    expect(tf.getGradient(tf.Sum)).toBe(sumGradient);
    expect(tf.getGradient(tf.Mean)).toBe(meanGradient);
    tf.dispose([x, w, first, second]);
  });

  it('take Tile\'s gradient as one sum over the repetitions, at any rank (tfjs-core\'s stops at 4)', async () => {
    for (const [shape, reps] of [[[3, 2], [2, 3]], [[2, 1, 3], [1, 5, 2]], [[2, 2, 1, 2, 3], [2, 1, 3, 1, 2]]] as const) {
      const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
      const outShape = shape.map((n, d) => n * reps[d]!);
      const dyValues = normalArray('dy', size(outShape));
      for (const backend of ['cpu', 'wasm'] as const) {
        const [got] = await valuesOn(backend, () => tf.grad((x: tf.Tensor) => tf.tile(x, [...reps]))(tf.zeros([...shape]), tf.tensor(dyValues, outShape)));
        // Each element of x gathers dy at every repetition: summed in float64, rounded once.
        const strides = outShape.map((_, d) => size(outShape.slice(d + 1)));
        const want = new Float64Array(size(shape));
        for (let flat = 0; flat < dyValues.length; flat++) {
          const index = outShape.map((n, d) => Math.floor(flat / strides[d]!) % n);
          const source = index.reduce((at, i, d) => at * shape[d]! + (i % shape[d]!), 0);
          want[source] += dyValues[flat]!;
        }
        expect(Array.from(got!).map((v, i) => Math.abs(v - want[i]!))).toEqual(Array.from(want, () => expect.closeTo(0, 5)));
      }
    }
    await useBackend('wasm');
    // Twice: the sum's gradient is a tile again.
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const second = tf.grad((t: tf.Tensor) => tf.sum(tf.grad((u: tf.Tensor) => tf.sum(tf.square(tf.tile(u, [3, 1]))))(t)))(x);
    expect(Array.from(second.dataSync())).toEqual([6, 6, 6, 6]);
    expect(tf.getGradient(tf.Tile)).toBe(tileGradient);
    tf.dispose([x, second]);
  });
});
