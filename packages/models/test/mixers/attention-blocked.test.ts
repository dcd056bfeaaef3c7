// Blocked (FlashAttention-style) softmax attention against the dense path it replaces: the same
// parameters give the same outputs and the same gradients (input and every projection), with
// padding (one example all padding), RoPE, attention dropout under one seed, micro-batch offsets
// and lengths that are not multiples of the block sizes. The dense path is itself checked against
// a float64 reference and finite differences in attention.test.ts.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { attention, type AttentionOptions } from '../../src/mixers/attention.js';
import { DENSE_WEIGHTS_PER_EXAMPLE_BYTES, planAttention } from '../../src/mixers/attention-plan.js';
import type { Mixer } from '../../src/mixers/types.js';
import { useBackend } from '../backend/on-backends.js';
import { seededUniform } from '../support/random.js';
import { buildOn, type Case, compareImplementations, maskValues, relativeDiff, type Shape } from './support/dense-vs-blocked.js';
import { tensorsLeaked } from './support/leaks.js';

function build(shape: Shape, options: Partial<AttentionOptions>, attentionDropout: number): { store: ParamStore; mixer: Mixer } {
  return buildOn(attention, shape, options, attentionDropout);
}

const compare = (c: Case<AttentionOptions>): void => compareImplementations(attention, c);

const small: Shape = { batch: 3, length: 37, dModel: 8, heads: 2 };
// Blocks of 8 queries and 16 keys: 5 query blocks and 3 key blocks, the last of each partial.
const smallBlocks = { blockSize: 8, keyBlockSize: 16 };

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`blocked softmax attention on ${backend}`, () => {
    beforeAll(async () => {
      await useBackend(backend);
    });
    afterAll(async () => {
      await useBackend('cpu');
    });

    const cases: Array<Case<AttentionOptions>> = [
      { name: 'padding mask, one example all padding', shape: small, options: smallBlocks, dropout: 0, masked: true, ctx: () => inferenceContext() },
      { name: 'no mask', shape: small, options: smallBlocks, dropout: 0, masked: false, ctx: () => inferenceContext() },
      { name: 'RoPE', shape: small, options: { ...smallBlocks, positions: 'rope' }, dropout: 0, masked: true, ctx: () => inferenceContext() },
      { name: 'one block of every query and key', shape: small, options: { blockSize: 64, keyBlockSize: 64 }, dropout: 0, masked: true, ctx: () => inferenceContext() },
      {
        name: 'attention dropout under the same seed',
        shape: small,
        options: { ...smallBlocks, positions: 'rope' },
        dropout: 0.3,
        masked: true,
        ctx: () => trainingContext(5, 2),
      },
      {
        name: 'dropout in a micro-batch at offset 2',
        shape: small,
        options: smallBlocks,
        dropout: 0.3,
        masked: true,
        ctx: () => trainingContext(5, 2, { offset: 2, count: 3 }),
      },
    ];
    for (const c of cases) it(`matches dense attention: ${c.name}`, () => compare(c));

    // Dense attention at this length is slow on cpu: wasm only.
    it.skipIf(backend === 'cpu')('matches dense attention at length 2001 (blocks of 256 queries and 512 keys), with dropout', () => {
      compare({
        name: '2001',
        shape: { batch: 2, length: 2001, dModel: 8, heads: 2 },
        options: { blockSize: 256, keyBlockSize: 512 },
        dropout: 0.1,
        masked: true,
        ctx: () => trainingContext(9, 4, { offset: 1, count: 2 }),
      });
    });

    it('leaves no tensors behind', () => {
      const { store, mixer } = build(small, { ...smallBlocks, implementation: 'blocked', positions: 'rope' }, 0.1);
      const x = tf.tensor3d(Float32Array.from(seededUniform('blocked-x', 3 * 37 * 8)), [3, 37, 8]);
      const mask = tf.tensor2d(maskValues(small), [3, 37]);
      mixer.apply(x, mask, trainingContext(1, 1)).dispose();
      expect(tensorsLeaked(mixer, x, mask, { context: (step) => trainingContext(1, step), rounds: 3 })).toBe(0);
      expect(tensorsLeaked(mixer, x, null, { context: () => inferenceContext(), rounds: 2 })).toBe(0);
      tf.dispose([x, mask]);
      store.dispose();
    });
  });
}

describe('blocked attention dropout and micro-batches', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('a micro-batch at offset e gives the whole batch rows e.. (the dense mask sliced), forward and backward', () => {
    const whole: Shape = { batch: 5, length: 21, dModel: 8, heads: 2 };
    const dense = build(whole, { implementation: 'dense' }, 0.4);
    const blocked = build({ ...whole, batch: 2 }, { implementation: 'blocked', blockSize: 4, keyBlockSize: 8 }, 0.4);
    const x = tf.tensor3d(Float32Array.from(seededUniform('micro-x', 5 * 21 * 8)), [5, 21, 8]);
    const fullY = dense.mixer.apply(x, null, trainingContext(7, 3)).dataSync();
    const part = tf.slice(x, [3, 0, 0], [2, 21, 8]) as tf.Tensor3D;
    const partY = blocked.mixer.apply(part, null, trainingContext(7, 3, { offset: 3, count: 2 })).dataSync();
    const rows = fullY.slice(3 * 21 * 8);
    expect(relativeDiff(Float32Array.from(partY), Float32Array.from(rows))).toBeLessThan(1e-5);
    // And the micro-batch's offset matters: at offset 0 the masks differ.
    const atZero = blocked.mixer.apply(part, null, trainingContext(7, 3, { offset: 0, count: 2 })).dataSync();
    expect(relativeDiff(Float32Array.from(atZero), Float32Array.from(rows))).toBeGreaterThan(1e-3);
    tf.dispose([x, part]);
    dense.store.dispose();
    blocked.store.dispose();
  });
});

describe('attention plan', () => {
  const auto = { implementation: 'auto' as const, blockSize: null, keyBlockSize: null };
  it("stays dense while one example's weights fit the limit, goes blocked above it, whatever the batch", () => {
    const limitLength = Math.floor(Math.sqrt(DENSE_WEIGHTS_PER_EXAMPLE_BYTES / 4 / 4));
    expect(planAttention(4, limitLength, auto)).toEqual({ kind: 'dense' });
    expect(planAttention(4, limitLength + 1, auto).kind).toBe('blocked');
    // Blocks are sized per example (8 MiB each), so a pass's memory grows with its examples.
    expect(planAttention(4, 2048, auto)).toEqual({ kind: 'blocked', queryBlock: 256, keyBlock: 2048 });
    // LRA's ListOps: 8 heads at 2001 tokens is blocked even for one example.
    expect(planAttention(8, 2001, auto).kind).toBe('blocked');
    expect(planAttention(4, 64, { ...auto, implementation: 'blocked' }).kind).toBe('blocked');
    expect(planAttention(4, 1 << 16, { ...auto, implementation: 'dense' })).toEqual({ kind: 'dense' });
    expect(planAttention(2, 100, { ...auto, implementation: 'blocked', blockSize: 7 })).toEqual({ kind: 'blocked', queryBlock: 7, keyBlock: 100 });
  });

  it('stays dense inside a gradient of a gradient, which the blocked gradient cannot take', () => {
    expect(planAttention(4, 4096, auto, true)).toEqual({ kind: 'dense' });
    expect(() => planAttention(4, 64, { ...auto, implementation: 'blocked' }, true)).toThrow('cannot be differentiated twice');
    const { store, mixer } = build(small, { implementation: 'blocked' }, 0);
    const x = tf.tensor3d(Float32Array.from(seededUniform('nested-x', 3 * 37 * 8)), [3, 37, 8]);
    const inner = (t: tf.Tensor): tf.Tensor => tf.sum(tf.square(tf.grad((u: tf.Tensor) => tf.sum(mixer.apply(u as tf.Tensor3D, null, inferenceContext())))(t)));
    expect(() => tf.grad(inner)(x)).toThrow('cannot be differentiated twice');
    x.dispose();
    store.dispose();
  });

  it('rejects block sizes that are not positive integers', () => {
    const args = { dModel: 8, heads: 2, seqLen: 8, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
    expect(attention.validate!(args, { ...attention.defaults, blockSize: 0 })).toMatch('blockSize must be a positive integer');
    expect(attention.validate!(args, { ...attention.defaults, keyBlockSize: 2.5 })).toMatch('keyBlockSize must be a positive integer');
  });
});
