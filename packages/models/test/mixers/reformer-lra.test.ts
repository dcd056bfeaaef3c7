// The reformer with impl 'lra' against an independent numpy port of LRA's reformer attention
// (scripts/fixtures/lra_attention_b.py), with the reference's hash rotation passed in as data.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { resolveMixerOptions } from '../../src/mixers/registry.js';
import { reformer } from '../../src/mixers/reformer.js';
import { createLraReformer, lraBuckets, lraPaddedLength, lraRotation } from '../../src/mixers/reformer-lra.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { buildMixer, inputValues, leakedTensors, mixerGradients, type Sizes } from './attention-family.js';
import { loadWeights, maxAbsError, readLraFixture } from './support/lra-fixture.js';

interface ReformerCase {
  batch: number;
  length: number;
  dModel: number;
  heads: number;
  x: number[];
  mask: number[];
  rotation: number[];
  params: Record<string, number[]>;
  buckets: number[];
  output: number[];
}

const fixture = readLraFixture<{ cases: ReformerCase[] }>('reformer');

function argsFor(c: Pick<ReformerCase, 'dModel' | 'heads' | 'length'>, store: ParamStore, layer = 0, scope = 'mixer') {
  return { dModel: c.dModel, heads: c.heads, seqLen: c.length, dropout: 0, attentionDropout: 0.1, params: store.scope(scope), layer, seed: 3 };
}

function outputOf(mixer: ReturnType<typeof createLraReformer>, c: ReformerCase, masked: boolean): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor3d(c.x, [c.batch, c.length, c.dModel]);
    const mask = masked ? tf.tensor2d(c.mask, [c.batch, c.length]) : null;
    const y = mixer.apply(x, mask, inferenceContext());
    expect(y.shape).toEqual([c.batch, c.length, c.dModel]);
    return y.dataSync() as Float32Array;
  });
}

describe("reformer impl 'lra'", () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it("is an option, 'clean' by default, and keeps the width at dModel", () => {
    expect(resolveMixerOptions('reformer').impl).toBe('clean');
    expect(() => resolveMixerOptions('reformer', { impl: 'trax' })).toThrow(/"impl" of mixer reformer must be one of "clean", "lra"/);
    const store = new ParamStore(1);
    const args = argsFor({ dModel: 8, heads: 2, length: 12 }, store);
    expect(reformer.validate!(args, { ...reformer.defaults, impl: 'lra', qkvDim: 4 })).toMatch(/qkvDim must be null or 8, got 4/);
    expect(reformer.validate!(args, { ...reformer.defaults, impl: 'lra', qkvDim: 8 })).toBeNull();
    // Query/key and value projections only: LRA's reformer has no output projection.
    reformer.create(args, { ...reformer.defaults, impl: 'lra' });
    expect(store.variables().map((p) => p.name)).toEqual(['mixer/queryKey/kernel', 'mixer/value/kernel']);
    store.dispose();
  });

  it('pads to whole chunks of ten with one to ten zero vectors', () => {
    expect([1, 9, 10, 13, 20, 2001].map(lraPaddedLength)).toEqual([10, 10, 20, 20, 30, 2010]);
  });

  fixture.cases.forEach((c, index) => {
    it(`matches LRA's reformer attention (case ${index}: N ${c.length}, ${c.heads} heads), mask ignored`, () => {
      const store = new ParamStore(1);
      const mixer = createLraReformer(argsFor(c, store), c.rotation);
      loadWeights(store, c.params);
      const masked = outputOf(mixer, c, true);
      expect(maxAbsError(masked, c.output)).toBeLessThan(1e-5);
      // LRA passes the padding mask but never reads it.
      expect(maxAbsError(outputOf(mixer, c, false), masked)).toBe(0);
      store.dispose();
    });

    it(`hashes every position into the reference's bucket (case ${index})`, () => {
      const padded = lraPaddedLength(c.length);
      const d = c.dModel / c.heads;
      const qk = tf.tidy(() => {
        const x = tf.pad(tf.tensor3d(c.x, [c.batch, c.length, c.dModel]), [[0, 0], [0, padded - c.length], [0, 0]]);
        const projected = tf.matMul(tf.reshape(x, [-1, c.dModel]), tf.tensor2d(c.params['mixer/queryKey/kernel']!, [c.dModel, c.dModel]));
        return tf.transpose(tf.reshape(projected, [c.batch, padded, c.heads, d]), [0, 2, 1, 3]).dataSync();
      });
      const buckets = Array.from(lraBuckets(qk, c.batch * c.heads, padded, d, c.rotation));
      expect(buckets).toEqual(c.buckets);
      // The appended zero vectors all land in bucket 0.
      expect(buckets.slice(c.length, padded).every((b) => b === 0)).toBe(true);
    });
  });

  it('uses one fixed rotation in every layer, head and model', () => {
    expect(Array.from(lraRotation(4))).toEqual(Array.from(lraRotation(4)));
    expect(lraRotation(4)).toHaveLength(20);
    expect(Array.from(lraRotation(8).subarray(0, 5))).not.toEqual(Array.from(lraRotation(4).subarray(0, 5)));
    const c = fixture.cases[0]!;
    const storeA = new ParamStore(1);
    const storeB = new ParamStore(2);
    const first = reformer.create(argsFor(c, storeA, 0, 'a'), { ...reformer.defaults, impl: 'lra' });
    const other = reformer.create({ ...argsFor(c, storeB, 5, 'b'), seed: 99 }, { ...reformer.defaults, impl: 'lra' });
    const rename = (prefix: string) => Object.fromEntries(Object.entries(c.params).map(([name, v]) => [name.replace('mixer/', `${prefix}/`), v]));
    loadWeights(storeA, rename('a'));
    loadWeights(storeB, rename('b'));
    expect(maxAbsError(outputOf(first, c, true), outputOf(other, c, true))).toBe(0);
    storeA.dispose();
    storeB.dispose();
  });

  it('has finite-difference gradients on a tiny case', () => {
    const tiny: Sizes = { batch: 1, length: 6, dModel: 4, heads: 2 };
    const built = buildMixer(reformer, { impl: 'lra' }, tiny);
    // The buckets are piecewise constant: a small step keeps every position in its bucket.
    const report = mixerGradients(built, inputValues('lra-reformer-grad', tiny), null, tiny, { eps: 3e-3, atol: 2e-3 });
    for (const [name, scaled] of Object.entries(report.scaled)) expect(scaled, name).toBeLessThan(1);
    built.store.dispose();
  });

  it('leaks no tensors', () => {
    const sizes: Sizes = { batch: 2, length: 7, dModel: 4, heads: 2 };
    const built = buildMixer(reformer, { impl: 'lra' }, sizes, { attentionDropout: 0.1 });
    expect(leakedTensors(built, sizes)).toBe(0);
    built.store.dispose();
  });
});
