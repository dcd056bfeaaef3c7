// Softmax attention through the fused wasm kernels against the dense path, on the same parameters:
// outputs and gradients (input and every projection) with padding (one example all padding),
// RoPE, LRA's padded rows, attention dropout under one seed and in a micro-batch. Then which
// implementation the plan picks, and the errors where 'fused' cannot run. The kernels themselves
// are checked against a float64 reference in test/backend/fused/fused-attention.test.ts.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUSED_ATTENTION_KERNEL } from '../../src/backend/fused/fused-attention.js';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { attention, type AttentionOptions } from '../../src/mixers/attention.js';
import { planAttention } from '../../src/mixers/attention-plan.js';
import { useBackend } from '../backend/on-backends.js';
import { seededUniform } from '../support/random.js';
import { buildOn, type Case, compareImplementations, type Shape } from './support/dense-vs-blocked.js';

// Head width 8 and 40 tokens: multiples of 8, as the kernels take them (other sizes are padded).
const shape: Shape = { batch: 3, length: 40, dModel: 16, heads: 2 };
const compare = (c: Case<AttentionOptions>): void => compareImplementations(attention, c, 'fused');

describe('fused softmax attention on wasm', () => {
  beforeAll(() => useBackend('wasm'));
  afterAll(() => useBackend('cpu'));

  const cases: Array<Case<AttentionOptions>> = [
    { name: 'padding mask, one example all padding', shape, options: {}, dropout: 0, masked: true, ctx: () => inferenceContext() },
    { name: 'no mask', shape, options: {}, dropout: 0, masked: false, ctx: () => inferenceContext() },
    { name: 'RoPE', shape, options: { positions: 'rope' }, dropout: 0, masked: true, ctx: () => inferenceContext() },
    { name: "LRA's padded rows", shape, options: { impl: 'lra' }, dropout: 0, masked: true, ctx: () => inferenceContext() },
    { name: 'attention dropout under the same seed', shape, options: {}, dropout: 0.3, masked: true, ctx: () => trainingContext(5, 2) },
    { name: 'dropout in a micro-batch at offset 2', shape, options: {}, dropout: 0.3, masked: true, ctx: () => trainingContext(5, 2, { offset: 2, count: 3 }) },
  ];
  for (const c of cases) it(`matches dense attention: ${c.name}`, () => compare(c));
  // N 37 and a head width of 4 go through the kernels padded to multiples of 8.
  const odd: Shape = { batch: 3, length: 37, dModel: 16, heads: 4 };
  it('matches dense attention at sizes it pads: N 37, head width 4, padding and dropout', () =>
    compare({ name: 'padded sizes', shape: odd, options: {}, dropout: 0.2, masked: true, ctx: () => trainingContext(3, 1) }));

  it("is what 'auto' runs on wasm, and the forward pass holds no [B*H, N, N] tensor", () => {
    const { store, mixer } = buildOn(attention, shape, {}, 0);
    const x = tf.tensor3d(Float32Array.from(seededUniform('fused-x', 3 * 40 * 16)), [3, 40, 16]);
    const names: string[] = [];
    const profile = tf.profile(() => tf.tidy(() => mixer.apply(x, null, inferenceContext())));
    return profile.then((info) => {
      names.push(...info.kernels.map((k) => k.name));
      expect(names).toContain(FUSED_ATTENTION_KERNEL);
      expect(names).not.toContain('Softmax');
      for (const k of info.kernels) for (const s of k.outputShapes) expect(s, k.name).not.toEqual([6, 40, 40]);
      x.dispose();
      store.dispose();
    });
  });
});

describe('attention plan with the fused kernels', () => {
  const auto = { implementation: 'auto' as const, blockSize: null, keyBlockSize: null };
  it("takes them for 'auto' wherever they run, at every length, and never inside a gradient of a gradient", () => {
    expect(planAttention(4, 1024, auto, false, null)).toEqual({ kind: 'fused' });
    expect(planAttention(8, 4096, auto, false, null)).toEqual({ kind: 'fused' });
    expect(planAttention(4, 1024, auto, false, 'no kernels')).toEqual({ kind: 'dense' });
    expect(planAttention(4, 1024, auto, true, null)).toEqual({ kind: 'dense' });
    expect(planAttention(4, 1024, { ...auto, implementation: 'dense' }, false, null)).toEqual({ kind: 'dense' });
    expect(planAttention(4, 64, { ...auto, implementation: 'fused' }, false, null)).toEqual({ kind: 'fused' });
    expect(() => planAttention(4, 64, { ...auto, implementation: 'fused' }, true, null)).toThrow("implementation 'fused' cannot be differentiated twice");
    expect(() => planAttention(4, 64, { ...auto, implementation: 'fused' }, false, 'the cpu backend has no fused attention kernels (wasm only)'))
      .toThrow("attention: implementation 'fused' cannot run here: the cpu backend has no fused attention kernels (wasm only); use 'auto'");
  });

  it("says why 'fused' cannot run on cpu", async () => {
    await useBackend('cpu');
    const x = tf.zeros([1, 40, 16]) as tf.Tensor3D;
    const onCpu = buildOn(attention, shape, { implementation: 'fused' }, 0);
    expect(() => onCpu.mixer.apply(x, null, inferenceContext())).toThrow('the cpu backend has no fused attention kernels (wasm only)');
    x.dispose();
    onCpu.store.dispose();
  });
});
