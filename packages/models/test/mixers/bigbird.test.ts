import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { bigbird, bigBirdAttentionHeads, bigBirdLayout } from '../../src/mixers/bigbird.js';
import { ParamStore } from '../../src/nn/params.js';
import { seededUniform } from '../support/random.js';
import {
  buildMixer,
  dot64,
  headTensor,
  inputValues,
  leakedTensors,
  maxAbsDiff,
  mixerGradients,
  outputAt,
  paddingChangesNothing,
  softmaxFromScores64,
  tailMask,
  type Heads64,
} from './attention-family.js';
import { trainsOnSyntheticTask } from './support/trains.js';

const sizes = { batch: 2, length: 9, dModel: 8, heads: 2 };

describe('bigbird (block-sparse attention)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('lays out a 3-block band, global first and last blocks, and r random blocks per query block', () => {
    const blocks = 10;
    const layout = bigBirdLayout(blocks, 3, seedrandom.alea('layout'));
    const all = Array.from({ length: blocks }, (_, i) => i);
    expect(layout[0]).toEqual(all);
    expect(layout[blocks - 1]).toEqual(all);
    for (let i = 1; i < blocks - 1; i++) {
      const keys = layout[i]!;
      expect(new Set(keys).size).toBe(keys.length);
      for (const required of [0, blocks - 1, i - 1, i, i + 1]) expect(keys).toContain(required);
      expect(keys).toHaveLength(new Set([0, blocks - 1, i - 1, i, i + 1]).size + 3);
    }
    expect(bigBirdLayout(blocks, 3, seedrandom.alea('layout'))).toEqual(layout);
    // Few blocks: no room for random ones, so each middle block sees everything there is.
    expect(bigBirdLayout(4, 3, seedrandom.alea('x'))).toEqual([all.slice(0, 4), all.slice(0, 4), all.slice(0, 4), all.slice(0, 4)]);
  });

  for (const [n, block, random] of [[16, 2, 2], [11, 3, 1], [10, 2, 0], [4, 8, 3]] as const) {
    it(`equals exact softmax attention under the equivalent dense mask (N ${n}, block ${block}, ${random} random)`, () => {
      const dims: Heads64 = { bh: 3, n, d: 4 };
      const q = seededUniform(`bq${n}`, dims.bh * n * dims.d, -1.5, 1.5);
      const k = seededUniform(`bk${n}`, dims.bh * n * dims.d, -1.5, 1.5);
      const v = seededUniform(`bv${n}`, dims.bh * n * dims.d);
      const real = (h: number, j: number) => h !== 2 || j < n - 3;
      const blockLength = Math.min(block, n);
      const blocks = Math.ceil(n / blockLength);
      const layout = bigBirdLayout(blocks, random, seedrandom.alea(`layout${n}`));
      const allowed = (i: number, j: number) => layout[Math.floor(i / blockLength)]!.includes(Math.floor(j / blockLength));
      const expected = softmaxFromScores64(
        dims,
        (h, i, j) =>
          real(h, j) && allowed(i, j) ? dot64(q, (h * n + i) * dims.d, k, (h * n + j) * dims.d, dims.d) / Math.sqrt(dims.d) : null,
        v,
      );
      const y = tf.tidy(() => {
        const realKeys = tf.tensor2d(
          Array.from({ length: dims.bh * n }, (_, t) => (real(Math.floor(t / n), t % n) ? 1 : 0)),
          [dims.bh, n],
        );
        const scaled = tf.mul(headTensor(q, dims), 1 / Math.sqrt(dims.d)) as tf.Tensor3D;
        return bigBirdAttentionHeads(scaled, headTensor(k, dims), headTensor(v, dims), realKeys, block, layout).dataSync();
      });
      expect(maxAbsDiff(y, expected)).toBeLessThan(2e-5);
    });
  }

  it('has gradients matching finite differences for the input and every parameter', () => {
    const built = buildMixer(bigbird, { blockSize: 2, randomBlocks: 1 }, sizes);
    const { scaled } = mixerGradients(built, inputValues('bb-g', sizes), tailMask(sizes, [2, 0]), sizes);
    expect(Object.keys(scaled)).toHaveLength(5);
    for (const [name, error] of Object.entries(scaled)) expect(error, name).toBeLessThanOrEqual(1);
    built.store.dispose();
  });

  it('has gradients matching finite differences with rotary positions', () => {
    const built = buildMixer(bigbird, { blockSize: 2, randomBlocks: 1 }, sizes, { rope: true });
    const { scaled } = mixerGradients(built, inputValues('bb-r', sizes), null, sizes);
    for (const [name, error] of Object.entries(scaled)) expect(error, name).toBeLessThanOrEqual(1);
    built.store.dispose();
  });

  it('ignores the content of padded positions', () => {
    const built = buildMixer(bigbird, { blockSize: 2, randomBlocks: 1 }, sizes);
    expect(paddingChangesNothing(built, sizes, tailMask(sizes, [3, 1]), inputValues('bp', sizes))).toBeLessThan(1e-6);
    built.store.dispose();
  });

  for (const length of [1, 7, 65, 1025]) {
    it(`maps [B, ${length}, D] to [B, ${length}, D] with finite values`, () => {
      const s = { ...sizes, length };
      const built = buildMixer(bigbird, {}, s);
      expect(outputAt(built, s)).toEqual({ shape: [2, length, 8], finite: true });
      built.store.dispose();
    });
  }

  it('validates its options', () => {
    const args = { dModel: 8, heads: 2, seqLen: 9, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
    expect(bigbird.validate!(args, { ...bigbird.defaults, blockSize: 0 })).toBe('blockSize must be a positive integer, got 0');
    expect(bigbird.validate!(args, { ...bigbird.defaults, randomBlocks: -1 })).toBe(
      'randomBlocks must be a non-negative integer, got -1',
    );
    expect(bigbird.validate!(args, bigbird.defaults)).toBeNull();
  });

  it('leaves no tensors behind', () => {
    const built = buildMixer(bigbird, { blockSize: 2 }, sizes, { attentionDropout: 0.1 });
    expect(leakedTensors(built, sizes)).toBe(0);
    built.store.dispose();
  });

  it('trains: a few dozen steps lower the loss of a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('bigbird', { blockSize: 2, randomBlocks: 1 }, { steps: 40 });
    expect(lastLoss).toBeLessThan(0.8 * firstLoss);
    expect(leaked).toBe(0);
  });
});
