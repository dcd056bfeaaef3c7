// Add, Sub, Multiply and RealDiv on wasm through the project's SIMD kernel (src/backend/simd/binary.wat):
// the broadcast layouts, the bits of the cpu backend (IEEE operations round alike), the cases
// handed back to the backend's own kernels, and slices over threads bit for bit.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TASK, runPart } from '../../../src/backend/parallel/tasks.js';
import { binarySimdFor, simdFailure } from '../../../src/backend/simd/simd-kernels.js';
import { binaryLayout } from '../../../src/backend/wasm/binary-layout.js';
import { addConfig, multiplyConfig, realDivConfig, subConfig } from '../../../src/backend/wasm/binary.js';
import { normalArray } from '../numeric.js';
import { useBackend, valuesOn } from '../on-backends.js';
import { heapOf } from '../simd/memory.js';

const OPS = { add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div } as const;

describe('binaryLayout', () => {
  it('sees each operand pair as rows of the full operand and the broadcast one\'s rows', () => {
    const layout = (a: number[], b: number[]) => {
      const l = binaryLayout('sub', a, b);
      return l && [l.full, l.op, l.rows, l.width, l.q, l.strideP, l.strideQ, l.splat];
    };
    expect(layout([8, 4096, 64], [8, 4096, 64])).toEqual(['a', 1, 1, 8 * 4096 * 64, 1, 0, 0, false]);
    expect(layout([32768, 128], [128])).toEqual(['a', 1, 32768, 128, 1, 0, 0, false]);
    expect(layout([4096, 64], [8, 4096, 64])).toEqual(['b', 2, 8, 4096 * 64, 1, 0, 0, false]);
    expect(layout([8, 4096, 64], [8, 4096, 1])).toEqual(['a', 1, 8 * 4096, 64, 1, 1, 0, true]);
    expect(layout([8, 1, 64], [8, 4096, 64])).toEqual(['b', 2, 8 * 4096, 64, 4096, 64, 0, false]);
    expect(layout([8, 4, 1024, 1024], [8, 1, 1, 1024])).toEqual(['a', 1, 8 * 4096, 1024, 4096, 1024, 0, false]);
    expect(layout([3, 5, 7], [1, 5, 1])).toEqual(['a', 1, 15, 7, 5, 0, 1, true]);
    expect(layout([], [2, 3])).toEqual(['b', 2, 1, 6, 1, 0, 0, true]);
    expect(layout([1, 1], [1])).toEqual(['a', 1, 1, 1, 1, 0, 0, false]);
    // Size-1 axes of the output are set aside.
    expect(layout([8, 1, 64], [8, 1, 1])).toEqual(['a', 1, 8, 64, 1, 1, 0, true]);
  });

  it('has no layout where neither operand is full, the broadcast one repeats in three runs, or shapes clash', () => {
    expect(binaryLayout('add', [8, 1], [1, 10])).toBeNull();
    expect(binaryLayout('add', [2, 3, 4, 5], [1, 3, 1, 5])).toBeNull();
    expect(binaryLayout('add', [2, 3], [3, 2])).toBeNull();
  });
});

describe('Add, Sub, Multiply and RealDiv on wasm', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('are the project kernels once registered', () => {
    for (const config of [addConfig, subConfig, multiplyConfig, realDivConfig]) {
      expect(tf.getKernel(config.kernelName, 'wasm').kernelFunc).toBe(config.kernelFunc);
    }
  });

  const pairs: Array<[number[], number[]]> = [
    [[3, 5, 7], [3, 5, 7]], // the same shape, rows of 7: a tail of three lanes
    [[6, 9], [9]], // a bias
    [[9], [6, 9]],
    [[4, 6, 5], [4, 6, 1]], // a value per row
    [[4, 1, 6], [4, 5, 6]], // a row per outer block, the full operand second
    [[2, 3, 4, 6], [2, 1, 1, 6]], // attention's mask over heads and queries
    [[3, 5, 7], [1, 5, 1]],
    [[], [4, 3]], // a scalar first
    [[4, 3], [1]],
  ];
  for (const [name, op] of Object.entries(OPS)) {
    it(`${name} gives the cpu backend's bits for every layout, either operand full`, async () => {
      for (const [aShape, bShape] of pairs) {
        const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
        // Away from zero for the divisions; a few exact zeros and negative values otherwise.
        const values = (seed: string, s: number[]) => normalArray(seed, size(s)).map((v) => (name === 'div' ? v + Math.sign(v) * 0.5 : v));
        const compute = () => op(tf.tensor(values('a', aShape), aShape), tf.tensor(values('b', bShape), bShape));
        const [want] = await valuesOn('cpu', compute);
        await useBackend('wasm');
        const got = tf.tidy(compute);
        expect(got.shape, `${name} [${aShape}] [${bShape}]`).toEqual(tf.broadcast_util.assertAndGetBroadcastShape(aShape, bShape));
        expect(Float32Array.from(got.dataSync()), `${name} [${aShape}] [${bShape}]`).toEqual(want);
        got.dispose();
      }
    });
  }

  it('hands int32 tensors and two-sided broadcasts to the backend\'s own kernels', async () => {
    await useBackend('wasm');
    expect(Array.from(tf.add(tf.tensor1d([1, 2, 3], 'int32'), tf.scalar(4, 'int32')).dataSync())).toEqual([5, 6, 7]);
    expect(tf.add(tf.tensor1d([1, 2, 3], 'int32'), tf.scalar(4, 'int32')).dtype).toBe('int32');
    const outer = tf.mul(tf.tensor2d([1, 2], [2, 1]), tf.tensor2d([3, 4, 5], [1, 3]));
    expect(Array.from(outer.dataSync())).toEqual([3, 4, 5, 6, 8, 10]);
  });

  it('leaves no tensor behind and passes gradients through a broadcast', async () => {
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const bias = tf.tensor1d([0.5, -1, 2]);
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.add(a, b), a)))([x, bias]);
    // d/da = 2a + b, d/db = sum over rows of a.
    expect(Array.from(grads[0]!.dataSync())).toEqual([2.5, 3, 8, 8.5, 9, 14]);
    expect(Array.from(grads[1]!.dataSync())).toEqual([5, 7, 9]);
    tf.dispose([x, bias, ...grads]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('the SIMD element-wise module', () => {
  it('gives the bits of one call when a job is sliced over threads, by rows and by columns', () => {
    for (const [xShape, yShape] of [[[37, 4, 13], [37, 1, 13]], [[2, 1001], [2, 1]], [[3003], [3003]]] as const) {
      const layout = binaryLayout('div', [...xShape], [...yShape])!;
      const n = layout.rows * layout.width;
      const yCount = yShape.reduce((x, y) => x * y, 1);
      const { memory, arrays: [x, y, out] } = heapOf(true, [n, yCount, n]);
      x!.set(normalArray('x', n));
      y!.set(normalArray('y', yCount).map((v) => v + Math.sign(v)));
      const simd = binarySimdFor(memory);
      expect(simd, simdFailure()).not.toBeNull();
      const args = [layout.op, x!.byteOffset, y!.byteOffset, out!.byteOffset, layout.rows, layout.width, layout.q, layout.strideP, layout.strideQ, layout.splat ? 1 : 0] as const;
      simd!.binary(args[0], args[1], args[2], args[3], layout.q, layout.width, layout.strideP, layout.strideQ, args[9], 0, layout.rows, 0, layout.width);
      const want = out!.slice();
      // Each element is x / its y: checked against float64 rounded once.
      for (let i = 0; i < n; i++) {
        const row = Math.floor(i / layout.width);
        const yIndex = Math.floor(row / layout.q) * layout.strideP + (row % layout.q) * layout.strideQ + (layout.splat ? 0 : i % layout.width);
        expect(want[i], `element ${i}`).toBe(Math.fround(x![i]! / y![yIndex]!));
      }
      for (const parts of [2, 3, 7]) {
        out!.fill(Number.NaN);
        const job = Float64Array.from([TASK.binary, ...args]);
        for (let part = 0; part < parts; part++) runPart(memory.buffer, job, part, parts, undefined, memory);
        expect(out, `${parts} slices of [${xShape}] / [${yShape}]`).toEqual(want);
      }
    }
  });
});
