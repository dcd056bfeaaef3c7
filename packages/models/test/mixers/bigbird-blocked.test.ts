// BigBird without its large weight tensors (bigbird-blocked.ts) against its dense version
// (checked against exact masked softmax attention and finite differences in bigbird.test.ts):
// the same outputs and gradients, with padding, RoPE, dropout under one seed and micro-batch
// offsets, for lengths that are not multiples of the block size.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { bigbird, type BigBirdOptions } from '../../src/mixers/bigbird.js';
import { useBackend } from '../backend/on-backends.js';
import { seededUniform } from '../support/random.js';
import { buildOn, type Case, compareImplementations, maskValues, type Shape } from './support/dense-vs-blocked.js';
import { tensorsLeaked } from './support/leaks.js';

// 41 positions in blocks of 4: 11 blocks (the last padded), 9 middle blocks in chunks of 2.
const shape: Shape = { batch: 3, length: 41, dModel: 8, heads: 2 };
const options: Partial<BigBirdOptions> = { blockSize: 4, randomBlocks: 2, chunkBlocks: 2 };

describe('blocked bigbird', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  const cases: Array<Case<BigBirdOptions>> = [
    { name: 'padding mask, one example all padding', shape, options, dropout: 0, masked: true, ctx: () => inferenceContext() },
    { name: 'one chunk of every middle block', shape, options: { ...options, chunkBlocks: null }, dropout: 0, masked: false, ctx: () => inferenceContext() },
    { name: 'attention dropout under the same seed', shape, options, dropout: 0.3, masked: true, ctx: () => trainingContext(4, 3) },
    { name: 'dropout in a micro-batch at offset 5', shape, options, dropout: 0.3, masked: true, ctx: () => trainingContext(4, 3, { offset: 5, count: 3 }) },
  ];
  for (const c of cases) it(`matches dense bigbird: ${c.name}`, () => compareImplementations(bigbird, c));

  it('matches dense bigbird with rotary positions', () => {
    const c = { name: 'rope', shape, options, dropout: 0.2, masked: true, ctx: () => trainingContext(2, 1) };
    // RoPE comes from the encoder (args.rope): build both with it.
    const make = (implementation: 'dense' | 'blocked') => {
      const built = buildOn({ ...bigbird, create: (args, o) => bigbird.create({ ...args, rope: true }, o) }, shape, { ...options, implementation }, c.dropout);
      return built;
    };
    const dense = make('dense');
    const blocked = make('blocked');
    const x = tf.tensor3d(Float32Array.from(seededUniform('bb-rope', 3 * 41 * 8)), [3, 41, 8]);
    const mask = tf.tensor2d(maskValues(shape), [3, 41]);
    const a = dense.mixer.apply(x, mask, c.ctx()).dataSync();
    const b = blocked.mixer.apply(x, mask, c.ctx()).dataSync();
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThan(1e-5);
    tf.dispose([x, mask]);
    dense.store.dispose();
    blocked.store.dispose();
  });

  it('leaves no tensors behind', () => {
    const { store, mixer } = buildOn(bigbird, shape, { ...options, implementation: 'blocked' }, 0.1);
    const x = tf.tensor3d(Float32Array.from(seededUniform('bb-leak', 3 * 41 * 8)), [3, 41, 8]);
    const mask = tf.tensor2d(maskValues(shape), [3, 41]);
    mixer.apply(x, mask, trainingContext(1, 1)).dispose();
    expect(tensorsLeaked(mixer, x, mask, { context: (step) => trainingContext(1, step), rounds: 3 })).toBe(0);
    tf.dispose([x, mask]);
    store.dispose();
  });

  it('refuses a gradient of a gradient, which its blocked gradient cannot take', () => {
    const { store, mixer } = buildOn(bigbird, shape, { ...options, implementation: 'blocked' }, 0);
    const x = tf.tensor3d(Float32Array.from(seededUniform('bb-nested', 3 * 41 * 8)), [3, 41, 8]);
    const inner = (t: tf.Tensor): tf.Tensor => tf.sum(tf.square(tf.grad((u: tf.Tensor) => tf.sum(mixer.apply(u as tf.Tensor3D, null, inferenceContext())))(t)));
    expect(() => tf.grad(inner)(x)).toThrow('cannot be differentiated twice');
    x.dispose();
    store.dispose();
  });

  it('rejects chunk sizes that are not positive integers', () => {
    const args = { dModel: 8, heads: 2, seqLen: 8, dropout: 0, attentionDropout: 0, layer: 0, params: buildOn(bigbird, shape, {}, 0).store.scope('v') };
    expect(bigbird.validate!(args, { ...bigbird.defaults, chunkBlocks: 0 })).toMatch('chunkBlocks must be a positive integer');
  });
});
