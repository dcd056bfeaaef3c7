import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { local, type LocalOptions } from '../../src/mixers/local.js';
import { lraLocalPaddedLength } from '../../src/mixers/local-lra.js';
import { resolveMixerOptions } from '../../src/mixers/registry.js';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { tensorsLeaked } from './support/leaks.js';
import { caseInput, caseMask, loadCaseWeights, lraCases } from './support/lra-cases.js';
import { maxAbsError } from './support/lra-fixture.js';
import { paramGradcheck } from './support/param-gradcheck.js';
import { trainsOnSyntheticTask } from './support/trains.js';

function build(dModel: number, heads: number, seqLen: number, blockSize: number, attentionDropout = 0) {
  const store = new ParamStore(73);
  const options: LocalOptions = { ...local.defaults, impl: 'lra', blockSize };
  const mixer = local.create({ dModel, heads, seqLen, dropout: 0, attentionDropout, params: store.scope('mixer'), layer: 0 }, options);
  return { store, mixer };
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`local impl 'lra' on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    it("equals the numpy port of LRA's local attention (strided groups, contiguously blocked mask)", () => {
      for (const c of lraCases('local')) {
        const { store, mixer } = build(c.dModel, c.heads, c.length, c['blockSize'] as number);
        loadCaseWeights(store, c);
        const y = tf.tidy(() => mixer.apply(caseInput(c), caseMask(c), inferenceContext()));
        expect(y.shape).toEqual([c.batch, c.length, c.dModel]);
        expect(maxAbsError(y.dataSync(), c.expected)).toBeLessThan(1e-5);
        // No mask is LRA's all-real mask.
        const unmasked = tf.tidy(() => mixer.apply(caseInput(c), null, inferenceContext()).dataSync());
        expect(maxAbsError(unmasked, c['expectedUnmasked'] as number[])).toBeLessThan(1e-5);
        y.dispose();
        store.dispose();
      }
    });
  });
}

describe("local impl 'lra' (wasm)", () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('pads to the next multiple of the block size, adding a whole block to a multiple', () => {
    expect(lraLocalPaddedLength(7, 3)).toBe(9);
    expect(lraLocalPaddedLength(6, 3)).toBe(9);
    expect(lraLocalPaddedLength(2001, 50)).toBe(2050);
    expect(lraLocalPaddedLength(1, 50)).toBe(50);
  });

  it('mixes position i only with positions i + multiples of the group count, at any length', () => {
    const D = 4;
    for (const [length, blockSize] of [[10, 3], [9, 3], [2, 5], [17, 4]] as const) {
      const groups = lraLocalPaddedLength(length, blockSize) / blockSize;
      const { store, mixer } = build(D, 2, length, blockSize);
      const x = Float32Array.from(seededUniform(`local-lra-${length}`, length * D));
      const y = mixer.apply(tf.tensor3d(x, [1, length, D]), null, inferenceContext()).dataSync();
      expect(y.length).toBe(length * D);
      const moved = 1 % length;
      const changed = Float32Array.from(x);
      for (let c = 0; c < D; c++) changed[moved * D + c] += 0.5;
      const y2 = mixer.apply(tf.tensor3d(changed, [1, length, D]), null, inferenceContext()).dataSync();
      for (let i = 0; i < length; i++) {
        const delta = Math.max(...Array.from({ length: D }, (_, c) => Math.abs(y2[i * D + c]! - y[i * D + c]!)));
        if ((i - moved) % groups === 0) expect(delta).toBeGreaterThan(1e-4);
        else expect(delta).toBe(0);
      }
      store.dispose();
    }
  });

  it('masks by contiguous chunks of the mask, not by the strided groups it attends in', () => {
    // N 7, blockSize 3: groups {0, 3, 6}, {1, 4, 7}, {2, 5, 8}; mask chunks {0, 1, 2}, {3, 4, 5},
    // {6, 7, 8}. Padding at position 1 masks member 1 of group 0 (position 3, a real token) and
    // leaves position 1 itself a key of group 1, read by position 4.
    const [N, D] = [7, 4];
    const { store, mixer } = build(D, 2, N, 3);
    const mask = tf.tensor2d([[1, 0, 1, 1, 1, 1, 1]]);
    const x = Float32Array.from(seededUniform('local-lra-chunks', N * D));
    const outputs = (values: Float32Array) => mixer.apply(tf.tensor3d(values, [1, N, D]), mask, inferenceContext()).dataSync();
    const changedAt = (position: number): number[] => {
      const changed = Float32Array.from(x);
      for (let c = 0; c < D; c++) changed[position * D + c] += 0.5;
      const [before, after] = [outputs(x), outputs(changed)];
      return Array.from({ length: N }, (_, i) => i).filter((i) =>
        Array.from({ length: D }, (_, c) => c).some((c) => Math.abs(after[i * D + c]! - before[i * D + c]!) > 1e-6),
      );
    };
    // Position 3's only reader is itself (its row is masked whole: uniform over its group).
    expect(changedAt(3)).toEqual([3]);
    // The padded position 1 is read by the members of its group.
    expect(changedAt(1)).toEqual([1, 4]);
    expect(changedAt(0)).toEqual([0, 3, 6]);
    mask.dispose();
    store.dispose();
  });

  it('resolves blockSize 50 by default, validates it, and keeps the clean default', () => {
    expect(resolveMixerOptions('local', { impl: 'lra' })).toEqual({ window: 32, impl: 'lra', blockSize: 50 });
    expect(resolveMixerOptions('local')).toEqual({ window: 32, impl: 'clean', blockSize: 50 });
    expect(() => resolveMixerOptions('local', { impl: 'flax' })).toThrow('option "impl" of mixer local must be one of "clean", "lra"');
    const args = { dModel: 8, heads: 2, seqLen: 9, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
    expect(local.validate!(args, { ...local.defaults, impl: 'lra', blockSize: 0 })).toBe('blockSize must be a positive integer, got 0');
    expect(local.validate!(args, { ...local.defaults, impl: 'lra' })).toBeNull();
  });

  it('drops attention weights in training only', () => {
    const c = lraCases('local')[0]!;
    const { store, mixer } = build(c.dModel, c.heads, c.length, c['blockSize'] as number, 0.5);
    loadCaseWeights(store, c);
    const a = mixer.apply(caseInput(c), caseMask(c), inferenceContext()).dataSync();
    expect(maxAbsError(a, c.expected)).toBeLessThan(1e-5);
    const b = mixer.apply(caseInput(c), caseMask(c), trainingContext(2, 1)).dataSync();
    expect(maxAbsError(a, b)).toBeGreaterThan(1e-3);
    store.dispose();
  });

  it('has gradients that match finite differences for the input and every parameter', () => {
    const [B, N, D, blockSize] = [2, 5, 4, 2];
    const { store, mixer } = build(D, 2, N, blockSize);
    const maskRows = [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]];
    const mask = tf.tensor2d(maskRows);
    // A query whose mask entry (in the contiguous chunks) is 0 has its whole row masked: in
    // float32 its scores vanish next to -1e10, so finite differences see a constant, while
    // autodiff (JAX's as ours) differentiates through the scores. The loss leaves those out.
    const groups = lraLocalPaddedLength(N, blockSize) / blockSize;
    const w = Float32Array.from(seededUniform('local-lra-w', B * N * D));
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < groups; j++) {
        for (let p = 0; p < blockSize; p++) {
          const position = p * groups + j;
          if (position < N && (maskRows[b]![j * blockSize + p] ?? 1) === 0) w.fill(0, (b * N + position) * D, (b * N + position + 1) * D);
        }
      }
    }
    expect(w.filter((v) => v === 0).length).toBe(2 * D);
    const weights = tf.tensor3d(w, [B, N, D]);
    const loss = (x: tf.Tensor) => tf.sum(tf.mul(mixer.apply(x as tf.Tensor3D, mask, inferenceContext()), weights)) as tf.Scalar;
    const x = tf.tensor3d(Float32Array.from(seededUniform('local-lra-x', B * N * D, -1.5, 1.5)), [B, N, D]);
    assertGradcheck(loss, [x], { atol: 2e-3, rtol: 2e-2 });
    expect(paramGradcheck(store, () => loss(x))).toEqual([]);
    store.dispose();
  });

  it('leaves no tensors behind', () => {
    const c = lraCases('local')[0]!;
    const { store, mixer } = build(c.dModel, c.heads, c.length, c['blockSize'] as number, 0.1);
    const x = caseInput(c);
    const mask = caseMask(c);
    expect(tensorsLeaked(mixer, x, mask, { context: (i) => trainingContext(1, i), shortInput: 4 })).toBe(0);
    tf.dispose([x, mask]);
    store.dispose();
  });

  it('trains: a few dozen steps lower the loss on a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('local', { impl: 'lra', blockSize: 4 }, { steps: 40 });
    expect(leaked).toBe(0);
    expect(lastLoss).toBeLessThan(firstLoss * 0.8);
  });
});
