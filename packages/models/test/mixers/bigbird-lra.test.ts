// BigBird with impl 'lra' against an independent numpy port of LRA's BigBird attention
// (scripts/fixtures/lra_attention_b.py), whose random blocks numpy's own generator drew.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { bigbird, type BigBirdOptions } from '../../src/mixers/bigbird.js';
import { lraBigBirdLayout, lraBigBirdPaddedLength, lraRandomBlocks } from '../../src/mixers/bigbird-lra.js';
import { resolveMixerOptions } from '../../src/mixers/registry.js';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { NumpyRandomState } from '../../src/nn/numpy-random-state.js';
import { ParamStore } from '../../src/nn/params.js';
import { buildMixer, inputValues, leakedTensors, mixerGradients, tailMask, type Sizes } from './attention-family.js';
import { compareImplementations } from './support/dense-vs-blocked.js';
import { loadWeights, maxAbsError, readLraFixture } from './support/lra-fixture.js';

interface BigBirdCase {
  batch: number;
  length: number;
  dModel: number;
  heads: number;
  blockSize: number;
  randomBlocks: number;
  layer: number;
  x: number[];
  mask: number[];
  params: Record<string, number[]>;
  randomBlocks_drawn: number[];
  output: number[];
}

interface Draw {
  length: number;
  blockSize: number;
  randomBlocks: number;
  heads: number;
  seed: number;
  blocks: number[];
}

const fixture = readLraFixture<{ cases: BigBirdCase[]; draws: Draw[] }>('bigbird');

function run(c: BigBirdCase, implementation: BigBirdOptions['implementation'], chunkBlocks: number | null = null): Float32Array {
  const store = new ParamStore(1);
  const args = { dModel: c.dModel, heads: c.heads, seqLen: c.length, dropout: 0, attentionDropout: 0.1, params: store.scope('mixer'), layer: c.layer, seed: 8 };
  const options: BigBirdOptions = { ...bigbird.defaults, impl: 'lra', blockSize: c.blockSize, randomBlocks: c.randomBlocks, implementation, chunkBlocks };
  expect(bigbird.validate!(args, options)).toBeNull();
  const mixer = bigbird.create(args, options);
  loadWeights(store, c.params);
  const y = tf.tidy(() => {
    const out = mixer.apply(tf.tensor3d(c.x, [c.batch, c.length, c.dModel]), tf.tensor2d(c.mask, [c.batch, c.length]), inferenceContext());
    expect(out.shape).toEqual([c.batch, c.length, c.dModel]);
    return out.dataSync() as Float32Array;
  });
  store.dispose();
  return y;
}

describe("bigbird impl 'lra'", () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it("is an option, 'clean' by default", () => {
    expect(resolveMixerOptions('bigbird').impl).toBe('clean');
    expect(() => resolveMixerOptions('bigbird', { impl: 'itc' })).toThrow(/"impl" of mixer bigbird must be one of "clean", "lra"/);
  });

  it("draws numpy's numbers: MT19937 seeded as numpy.random.seed, and its permutations", () => {
    // numpy.random.RandomState(s)._bit_generator.random_raw(), and numpy.random.seed(7) then two permutations.
    const zero = new NumpyRandomState(0);
    expect([zero.nextUint32(), zero.nextUint32(), zero.nextUint32()]).toEqual([2357136044, 2546248239, 3071714933]);
    expect(new NumpyRandomState(4294967295).nextUint32()).toBe(419326371);
    const seven = new NumpyRandomState(7);
    expect(seven.permutation(Array.from({ length: 10 }, (_, i) => i))).toEqual([8, 5, 0, 2, 1, 9, 7, 3, 6, 4]);
    expect(seven.permutation(Array.from({ length: 1000 }, (_, i) => i)).slice(0, 5)).toEqual([113, 796, 712, 510, 492]);
  });

  for (const draw of fixture.draws) {
    it(`draws LRA's random blocks (length ${draw.length}, block ${draw.blockSize}, seed ${draw.seed})`, () => {
      const blocks = lraRandomBlocks(draw.length, draw.blockSize, draw.randomBlocks, draw.heads, draw.seed).flat(2);
      expect(blocks).toEqual(draw.blocks);
      // Beyond 1024 tokens only blocks below token 1024 are drawn.
      if (draw.length > 1024) expect(Math.max(...blocks)).toBeLessThan(1024 / draw.blockSize);
    });
  }

  fixture.cases.forEach((c, index) => {
    const padded = lraBigBirdPaddedLength(c.length, c.blockSize);
    it(`uses the reference's random blocks (case ${index}: N ${c.length}, block ${c.blockSize}, layer ${c.layer})`, () => {
      expect(lraRandomBlocks(padded, c.blockSize, c.randomBlocks, c.heads, c.layer).flat(2)).toEqual(c.randomBlocks_drawn);
    });

    for (const [implementation, chunkBlocks] of [['dense', null], ['blocked', 2]] as const) {
      it(`matches LRA's BigBird attention on the ${implementation} path (case ${index})`, () => {
        const y = run(c, implementation, chunkBlocks);
        expect(maxAbsError(y, c.output)).toBeLessThan(1e-5);
        // Padded queries' rows are zero.
        for (let t = 0; t < c.batch * c.length; t++) {
          if (c.mask[t] === 0) expect(maxAbsError(y.subarray(t * c.dModel, (t + 1) * c.dModel), new Float32Array(c.dModel))).toBe(0);
        }
      });
    }
  });

  it('pads with a whole block when the length is already a multiple', () => {
    expect([16, 17, 2000, 2048].map((n) => lraBigBirdPaddedLength(n, n < 100 ? 2 : 64))).toEqual([18, 18, 2048, 2112]);
  });

  it("lays out the reference's key blocks for each query block", () => {
    const layout = lraBigBirdLayout(8, [[5, 6], [4, 6], [1, 6], [2, 6], [1, 3], [2, 3]]);
    expect(layout[0]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(layout[1]).toEqual([0, 1, 2, 5, 6, 7]);
    expect(layout[3]).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(layout[6]).toEqual([0, 2, 3, 5, 6, 7]);
    expect(layout[7]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('refuses lengths whose random blocks the reference cannot draw', () => {
    const store = new ParamStore(1);
    const args = { dModel: 8, heads: 2, seqLen: 9, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0 };
    expect(bigbird.validate!(args, { ...bigbird.defaults, impl: 'lra', blockSize: 2, randomBlocks: 3 })).toMatch(/candidate blocks for 3 random ones/);
    expect(bigbird.validate!({ ...args, seqLen: 5 }, { ...bigbird.defaults, impl: 'lra', blockSize: 2, randomBlocks: 0 })).toMatch(/at least 4 blocks/);
    expect(bigbird.validate!({ ...args, seqLen: 2000 }, { ...bigbird.defaults, impl: 'lra' })).toBeNull();
    store.dispose();
  });

  it('has finite-difference gradients on a tiny case', () => {
    const tiny: Sizes = { batch: 1, length: 11, dModel: 4, heads: 2 };
    const built = buildMixer(bigbird, { impl: 'lra', blockSize: 2, randomBlocks: 1, implementation: 'dense' }, tiny);
    const report = mixerGradients(built, inputValues('lra-bigbird-grad', tiny), tailMask(tiny, [2]), tiny);
    for (const [name, scaled] of Object.entries(report.scaled)) expect(scaled, name).toBeLessThan(1);
    built.store.dispose();
  });

  it("gives the dense path's values and gradients on the blocked path", () => {
    compareImplementations(bigbird, {
      name: 'lra', shape: { batch: 2, length: 15, dModel: 8, heads: 2 }, options: { impl: 'lra', blockSize: 2, randomBlocks: 2, chunkBlocks: 2 },
      dropout: 0.1, masked: true, ctx: () => trainingContext(3, 1),
    });
  });

  it('leaks no tensors', () => {
    const sizes: Sizes = { batch: 2, length: 15, dModel: 8, heads: 2 };
    for (const implementation of ['dense', 'blocked'] as const) {
      const built = buildMixer(bigbird, { impl: 'lra', blockSize: 2, randomBlocks: 2, implementation }, sizes, { attentionDropout: 0.1 });
      expect(leakedTensors(built, sizes)).toBe(0);
      built.store.dispose();
    }
  });
});
