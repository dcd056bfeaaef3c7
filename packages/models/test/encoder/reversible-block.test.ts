// The two-stream arithmetic of a reversible block, checked against the ordinary pre-LN block:
// with one block, Y1 = X + F(X) is the ordinary block's h and Y2 = X + G(h), so the stack's
// output (Y1 + Y2) / 2 equals (block(X) + X) / 2 with the same parameters and dropout masks.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { encoderBlock } from '../../src/encoder/block.js';
import { reversibleBlock } from '../../src/encoder/reversible-block.js';
import { reversibleStack } from '../../src/encoder/reversible-stack.js';
import { getMixer, resolveMixerOptions } from '../../src/mixers/registry.js';
import type { Mixer, MixerSpec } from '../../src/mixers/types.js';
import { inferenceContext, trainingContext, type ForwardContext } from '../../src/nn/context.js';
import { ParamStore, type ParamScope } from '../../src/nn/params.js';
import { seededUniform } from '../support/random.js';

const B = 2;
const N = 6;
const D = 8;
const OPTIONS = { dModel: D, mlpDim: 16, dropout: 0.25, layerNormEps: 1e-6 };

function attention(params: ParamScope): Mixer {
  const spec = getMixer('attention') as MixerSpec<object>;
  return spec.create(
    { dModel: D, heads: 2, seqLen: N, dropout: 0.25, attentionDropout: 0.25, params, layer: 0 },
    resolveMixerOptions('attention', {}),
  );
}

function input(): tf.Tensor3D {
  return tf.tensor3d(Float32Array.from(seededUniform('reversible-block-x', B * N * D, -1, 1)), [B, N, D]);
}

function mask(): tf.Tensor2D {
  return tf.tensor2d([1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0], [B, N]);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe('reversible block', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const [label, ctx] of [
    ['at inference', () => inferenceContext()],
    ['with dropout', () => trainingContext(7, 3)],
  ] as Array<[string, () => ForwardContext]>) {
    it(`gives (block(x) + x) / 2 for one block, the ordinary pre-LN block's parameters ${label}`, () => {
      const ordinaryStore = new ParamStore(3);
      const reversibleStore = new ParamStore(3);
      const ordinary = encoderBlock(ordinaryStore, attention(ordinaryStore.scope('mixer')), { style: 'pre-ln', ...OPTIONS });
      const stack = reversibleStack([reversibleBlock(reversibleStore, attention, OPTIONS)]);
      // Move the norms off ones and zeros so that a misplaced norm shows.
      const snapshot = ordinaryStore.snapshot();
      for (const [name, entry] of Object.entries(snapshot)) {
        const noise = seededUniform(`reversible-${name}`, entry.values.length, -0.3, 0.3);
        entry.values = entry.values.map((v, i) => v + noise[i]!);
      }
      ordinaryStore.restore(snapshot);
      reversibleStore.restore(snapshot);
      const x = input();
      const m = mask();
      const expected = tf.tidy(() => tf.mul(tf.add(ordinary.apply(x, m, ctx()), x), 0.5));
      const actual = stack.apply(x, m, ctx());
      expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-5);
      // Dropout is on in training: the same masks, not an accident of none.
      if (label === 'with dropout') {
        const dropped = tf.tidy(() => tf.mul(tf.add(ordinary.apply(x, m, inferenceContext()), x), 0.5));
        expect(maxAbsDiff(actual, dropped)).toBeGreaterThan(1e-3);
        dropped.dispose();
      }
      tf.dispose([x, m, expected, actual]);
      ordinaryStore.dispose();
      reversibleStore.dispose();
    });
  }

  it('splits its parameters between F (mixer and its norm) and G (feed-forward and its norm)', () => {
    const store = new ParamStore(3);
    const block = reversibleBlock(store, attention, OPTIONS);
    const names = new Map(store.variables().map((p) => [p.variable, p.name]));
    expect(block.mixParams.map((v) => names.get(v))).toEqual([
      'mixer/query/kernel', 'mixer/key/kernel', 'mixer/value/kernel', 'mixer/output/kernel', 'mixerNorm/scale', 'mixerNorm/bias',
    ]);
    expect(block.feedForwardParams.map((v) => names.get(v))).toEqual([
      'feedForward/expand/kernel', 'feedForward/expand/bias', 'feedForward/contract/kernel', 'feedForward/contract/bias',
      'feedForwardNorm/scale', 'feedForwardNorm/bias',
    ]);
    store.dispose();
  });

  it('refuses a mixer that owns its residual, and one that changes the length', () => {
    const store = new ParamStore(3);
    const owning: Mixer = { ownsResidual: true, apply: (x) => x };
    expect(() => reversibleBlock(store, () => owning, OPTIONS)).toThrow('this mixer owns its residual');
    const shortening: Mixer = { apply: (x) => tf.slice(x, [0, 0, 0], [B, N - 1, D]) };
    const block = reversibleBlock(store.scope('other'), () => shortening, OPTIONS);
    const x = input();
    expect(() => reversibleStack([block]).apply(x, null, inferenceContext())).toThrow('returned 5 for 6');
    x.dispose();
    store.dispose();
  });
});
