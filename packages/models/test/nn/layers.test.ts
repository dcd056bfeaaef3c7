import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gelu } from '../../src/nn/activations.js';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { dense } from '../../src/nn/dense.js';
import { embedding } from '../../src/nn/embedding.js';
import { feedForward } from '../../src/nn/feed-forward.js';
import { normal } from '../../src/nn/initializers.js';
import { layerNorm } from '../../src/nn/layer-norm.js';
import { ParamStore } from '../../src/nn/params.js';
import { seededUniform } from '../support/random.js';

/** [rows, inner] x [inner, cols] in float64. */
function matmul64(a: ArrayLike<number>, b: ArrayLike<number>, rows: number, inner: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let k = 0; k < inner; k++) s += a[r * inner + k]! * b[k * cols + c]!;
      out[r * cols + c] = s;
    }
  }
  return out;
}

function erf64(x: number): number {
  // Maclaurin series; converges fast for the |x| < 3 used here.
  let term = x;
  let sum = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst).toBeLessThan(tol);
}

describe('layers', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gelu is exact (erf), matching values from Python math.erf', () => {
    const xs = [-3, -1, -0.5, 0, 0.3, 1, 2.5];
    const expected = [
      -0.00404969409489031, -0.15865525393145707, -0.15426876936299344, 0, 0.18537342665668577,
      0.8413447460685429, 2.4844758366855597,
    ];
    expectClose(gelu(tf.tensor1d(xs)).dataSync(), expected, 1e-6);
  });

  it('dense maps the last axis and keeps leading axes', () => {
    const store = new ParamStore(1);
    const layer = dense(store, 'proj', { inputDim: 3, units: 4, biasInit: normal(1) });
    const input = seededUniform('dense', 2 * 5 * 3);
    const y = layer.apply(tf.tensor3d(Float32Array.from(input), [2, 5, 3]));
    expect(y.shape).toEqual([2, 5, 4]);
    const kernel = layer.kernel.dataSync();
    const bias = layer.bias!.dataSync();
    const expected = matmul64(input, kernel, 10, 3, 4).map((v, i) => v + bias[i % 4]!);
    expectClose(y.dataSync(), expected, 1e-5);
    expect(store.variables().map((p) => p.name)).toEqual(['proj/kernel', 'proj/bias']);
    expect(() => layer.apply(tf.zeros([2, 2]))).toThrow('last axis is 2, expected 3');
    const noBias = dense(store, 'plain', { inputDim: 3, units: 2, bias: false });
    expect(noBias.bias).toBeNull();
    store.dispose();
  });

  it('layerNorm matches a float64 reference, with its eps', () => {
    const store = new ParamStore(2);
    for (const eps of [1e-6, 1e-12, 0.5]) {
      const norm = layerNorm(store, `norm${eps}`, 6, eps);
      norm.scale.assign(tf.tensor1d([1, 2, 3, 0.5, -1, 1]));
      norm.bias.assign(tf.tensor1d([0, 0.1, -0.2, 0.3, 0, 1]));
      const input = seededUniform('layer-norm', 4 * 6, -2, 3);
      const out = norm.apply(tf.tensor2d(Float32Array.from(input), [4, 6])).dataSync();
      const scale = norm.scale.dataSync();
      const bias = norm.bias.dataSync();
      const expected = new Float64Array(24);
      for (let r = 0; r < 4; r++) {
        const row = input.subarray(r * 6, r * 6 + 6);
        const mean = row.reduce((a, b) => a + b, 0) / 6;
        const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / 6;
        for (let c = 0; c < 6; c++) expected[r * 6 + c] = ((row[c]! - mean) / Math.sqrt(variance + eps)) * scale[c]! + bias[c]!;
      }
      expectClose(out, expected, 1e-5);
    }
    store.dispose();
  });

  it('embedding looks up rows and sums the gradients of repeated ids', () => {
    const store = new ParamStore(3);
    const embed = embedding(store, 'tokens', { vocabSize: 5, dim: 3 });
    const ids = tf.tensor2d([[1, 4, 1], [0, 2, 1]], [2, 3], 'int32');
    const out = embed.apply(ids);
    expect(out.shape).toEqual([2, 3, 3]);
    const table = embed.table.arraySync() as number[][];
    expect(out.arraySync()).toEqual([[table[1], table[4], table[1]], [table[0], table[2], table[1]]]);
    const grads = tf.variableGrads(() => tf.sum(embed.apply(ids)), [embed.table]);
    expect(grads.grads[embed.table.name]!.arraySync()).toEqual([
      [1, 1, 1], [3, 3, 3], [1, 1, 1], [0, 0, 0], [1, 1, 1],
    ]);
    expect(() => embed.apply(tf.zeros([1, 2]) as tf.Tensor2D)).toThrow('ids must be int32');
    store.dispose();
  });

  it('feedForward is Dense -> GELU -> Dense at inference, and drops out in training', () => {
    const store = new ParamStore(4);
    const ff = feedForward(store, 'ff', { dModel: 3, mlpDim: 5, dropout: 0.5 });
    const input = seededUniform('ff', 2 * 4 * 3);
    const x = tf.tensor3d(Float32Array.from(input), [2, 4, 3]);
    const w1 = store.get('ff/expand/kernel').dataSync();
    const b1 = store.get('ff/expand/bias').dataSync();
    const w2 = store.get('ff/contract/kernel').dataSync();
    const b2 = store.get('ff/contract/bias').dataSync();
    const hidden = matmul64(input, w1, 8, 3, 5).map((v, i) => {
      const h = v + b1[i % 5]!;
      return 0.5 * h * (1 + erf64(h / Math.SQRT2));
    });
    const expected = matmul64(hidden, w2, 8, 5, 3).map((v, i) => v + b2[i % 3]!);
    expectClose(ff.apply(x, inferenceContext()).dataSync(), expected, 1e-5);
    const trained = ff.apply(x, trainingContext(1, 1)).dataSync();
    expect(Array.from(trained)).not.toEqual(Array.from(ff.apply(x, inferenceContext()).dataSync()));
    expect(Array.from(trained)).toEqual(Array.from(ff.apply(x, trainingContext(1, 1)).dataSync()));
    store.dispose();
  });
});
