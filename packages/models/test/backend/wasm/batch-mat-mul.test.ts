import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchMatMulConfig } from '../../../src/backend/wasm/batch-mat-mul.js';
import { expectClose, normalArray } from '../numeric.js';
import { useBackend, valuesOn } from '../on-backends.js';

function operand(seed: string, shape: number[]): tf.Tensor {
  return tf.tensor(normalArray(seed, shape.reduce((a, b) => a * b, 1)), shape);
}

async function compareProduct(
  aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean, tolerance = 1e-6,
): Promise<void> {
  const product = () => tf.matMul(operand('a', aShape), operand('b', bShape), transposeA, transposeB);
  const [expected] = await valuesOn('cpu', product);
  const [actual] = await valuesOn('wasm', product);
  expectClose(actual, expected, tolerance, `[${aShape}] x [${bShape}] tA=${transposeA} tB=${transposeB}`);
}

describe('BatchMatMul on wasm', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('is the project kernel once registered', () => {
    expect(tf.getKernel(tf.BatchMatMul, 'wasm').kernelFunc).toBe(batchMatMulConfig.kernelFunc);
  });

  it('takes a weight gradient over many tokens (A^T B, long inner dimension) through the SIMD product, as cpu computes it', async () => {
    // [tokens, in]^T [tokens, out]: the project's gemmTN (in % 4, out % 8). Sums over 1300-2048
    // products in float32, in another order than cpu's: 1e-5.
    await compareProduct([1300, 12], [1300, 24], true, false, 1e-5);
    await compareProduct([2048, 8], [2048, 16], true, false, 1e-5);
  });

  for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`takes batches of SIMD-shaped products (m % 4, n % 8) as cpu computes them, tA=${transposeA} tB=${transposeB}`, async () => {
      // k 300: a block of 256 and a partial one; m 36 (>= 32: B stored transposed is copied).
      const aShape = transposeA ? [2, 3, 300, 36] : [2, 3, 36, 300];
      const bShape = transposeB ? [2, 3, 40, 300] : [2, 3, 300, 40];
      await compareProduct(aShape, bShape, transposeA, transposeB, 1e-5);
    });
  }

  it('shares one matrix of either operand over a batch in the SIMD products', async () => {
    const cases: Array<[number[], number[], boolean, boolean]> = [
      [[4, 36, 20], [20, 16], false, false], // a dense layer: one tall product
      [[36, 20], [4, 20, 16], false, false],
      [[20, 36], [4, 20, 16], true, false],
      [[4, 36, 20], [16, 20], false, true], // the input gradient of a dense layer
      [[4, 8, 20], [4, 16, 20], false, true], // m 8 < 32: XNNPACK takes B stored transposed
    ];
    for (const [aShape, bShape, transposeA, transposeB] of cases) {
      const batch = [4];
      const [expected] = await valuesOn('cpu', () => tf.matMul(
        tf.broadcastTo(operand('a', aShape), [...batch, ...aShape.slice(-2)]),
        tf.broadcastTo(operand('b', bShape), [...batch, ...bShape.slice(-2)]),
        transposeA, transposeB,
      ));
      const [actual] = await valuesOn('wasm', () => tf.matMul(operand('a', aShape), operand('b', bShape), transposeA, transposeB));
      expectClose(actual, expected, 1e-6, `[${aShape}] x [${bShape}] tA=${transposeA} tB=${transposeB}`);
    }
  });

  it('pads B to columns in eights where n is not a multiple of 8, and copies C back unpadded', async () => {
    const cases: Array<[number[], number[], boolean]> = [
      [[8, 64], [64, 1028], false], // FFTNet's filter: 4 bins past a multiple of 8
      [[3, 8, 20], [20, 10], false], // a classifier's 10 classes: one tall product
      [[2, 12, 30], [2, 30, 13], false], // one B per product
      [[20, 12], [20, 13], true], // A stored transposed (a weight gradient)
      [[2, 300, 4], [2, 300, 3], true], // two blocks of k; one column of three
    ];
    for (const [aShape, bShape, transposeA] of cases) await compareProduct(aShape, bShape, transposeA, false, 1e-5);
  });

  for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`matches cpu on batched products with transposeA=${transposeA} transposeB=${transposeB}`, async () => {
      // 37 and 19 are not multiples of the transpose's tiles, so its edges are exercised.
      const aShape = transposeA ? [3, 19, 37] : [3, 37, 19];
      const bShape = transposeB ? [3, 23, 19] : [3, 19, 23];
      await compareProduct(aShape, bShape, transposeA, transposeB);
    });
  }

  for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`matches cpu with few rows and many columns (computed as out^T = B^T A^T), tA=${transposeA} tB=${transposeB}`, async () => {
      // 5 rows against 70 columns: packing A^T is far cheaper than packing B, so the product is
      // taken transposed; 37 keeps the transposes' tile edges in play.
      const aShape = transposeA ? [3, 37, 5] : [3, 5, 37];
      const bShape = transposeB ? [3, 70, 37] : [3, 37, 70];
      await compareProduct(aShape, bShape, transposeA, transposeB);
    });
  }

  it('broadcasts batch dimensions when computed transposed', async () => {
    const cases: Array<[number[], number[], boolean, boolean, number[]]> = [
      [[2, 1, 4, 30], [1, 3, 30, 50], false, false, [2, 3]],
      [[30, 4], [2, 30, 50], true, false, [2]],
      [[2, 30, 4], [50, 30], true, true, [2]],
    ];
    for (const [aShape, bShape, transposeA, transposeB, batch] of cases) {
      const [expected] = await valuesOn('cpu', () => tf.matMul(
        tf.broadcastTo(operand('a', aShape), [...batch, ...aShape.slice(-2)]),
        tf.broadcastTo(operand('b', bShape), [...batch, ...bShape.slice(-2)]),
        transposeA, transposeB,
      ));
      const [actual] = await valuesOn('wasm', () => tf.matMul(operand('a', aShape), operand('b', bShape), transposeA, transposeB));
      expectClose(actual, expected, 1e-6, `[${aShape}] x [${bShape}]`);
    }
  });

  it('matches cpu on attention-shaped products (Q K^T with 16 channels, P V)', async () => {
    await compareProduct([2, 2, 64, 16], [2, 2, 64, 16], false, true);
    await compareProduct([2, 2, 64, 64], [2, 2, 64, 16], false, false);
    await compareProduct([2, 2, 64, 64], [2, 2, 64, 16], true, false);
  });

  it('broadcasts batch dimensions (numpy rules), checked against explicitly tiled operands', async () => {
    // The cpu backend's own BatchMatMul mishandles batch shapes broadcast in both operands, so the
    // reference product takes operands already tiled to the output's batch shape.
    const cases: Array<[number[], number[], boolean, boolean, number[]]> = [
      [[2, 1, 4, 3], [1, 3, 3, 5], false, false, [2, 3]],
      [[4, 3], [2, 4, 5], true, false, [2]],
      [[2, 4, 3], [5, 3], false, true, [2]],
      [[2, 4, 3], [3, 5], false, false, [2]],
    ];
    for (const [aShape, bShape, transposeA, transposeB, batch] of cases) {
      const [expected] = await valuesOn('cpu', () => tf.matMul(
        tf.broadcastTo(operand('a', aShape), [...batch, ...aShape.slice(-2)]),
        tf.broadcastTo(operand('b', bShape), [...batch, ...bShape.slice(-2)]),
        transposeA, transposeB,
      ));
      const [actual] = await valuesOn('wasm', () => tf.matMul(operand('a', aShape), operand('b', bShape), transposeA, transposeB));
      expectClose(actual, expected, 1e-6, `[${aShape}] x [${bShape}]`);
    }
  });

  it('returns zeros when the inner dimension is empty', async () => {
    const [actual] = await valuesOn('wasm', () => tf.matMul(tf.zeros([2, 3, 0]), tf.zeros([2, 0, 4])));
    expect(Array.from(actual)).toEqual(new Array(24).fill(0));
  });

  it('rejects mismatched inner dimensions as tfjs does', async () => {
    await useBackend('wasm');
    expect(() => tf.matMul(tf.ones([2, 3, 4]), tf.ones([2, 5, 6]))).toThrow(/inner shapes/);
  });

  it('matches cpu on batches of tiny matrices, which take the backend\'s loop in one call', async () => {
    for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      await compareProduct(transposeA ? [50, 5, 4] : [50, 4, 5], transposeB ? [50, 3, 5] : [50, 5, 3], transposeA, transposeB);
    }
  });

  it('gives the same gradients as cpu for every transpose combination', async () => {
    // [m, k, n] = [30, 20, 18]: every product of the gradient runs on XNNPACK.
    for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const gradients = () => {
        const a = operand('a', transposeA ? [2, 20, 30] : [2, 30, 20]);
        const b = operand('b', transposeB ? [2, 18, 20] : [2, 20, 18]);
        const weight = operand('w', [2, 30, 18]);
        return tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, transposeA, transposeB).mul(weight).sum())([a, b]);
      };
      const expected = await valuesOn('cpu', gradients);
      const actual = await valuesOn('wasm', gradients);
      expectClose(actual[0], expected[0], 1e-5, `dA tA=${transposeA} tB=${transposeB}`);
      expectClose(actual[1], expected[1], 1e-5, `dB tA=${transposeA} tB=${transposeB}`);
    }
  });

  it('leaves no tensor behind', async () => {
    await useBackend('wasm');
    const a = operand('a', [2, 8, 4]);
    const b = operand('b', [2, 8, 4]);
    const before = tf.memory();
    const buffers = tf.backend().numDataIds();
    tf.matMul(a, b, true, false).dispose();
    tf.matMul(a, b, false, true).dispose();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(tf.backend().numDataIds()).toBe(buffers);
    tf.dispose([a, b]);
  });
});
