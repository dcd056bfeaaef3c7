// The ssm backbone's block against state-spaces/s4's SequenceResidualBlock (residual 'R', dropout
// 0) computed by torch in float64 (scripts/fixtures/ssm_block_reference.py): prenorm and
// postnorm, layer and batch norm (training statistics), around a stand-in layer tanh(x W + b).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { ssmBlock } from '../../src/encoder/ssm-block.js';
import { trainingContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import type { Mixer } from '../../src/mixers/types.js';

interface BlockFixture {
  shape: [number, number, number];
  x: number[];
  layerKernel: number[];
  layerBias: number[];
  normScale: number[];
  normBias: number[];
  cases: Array<{ prenorm: boolean; norm: 'layer' | 'batch'; y: number[] }>;
}

const fixture = (
  JSON.parse(readFileSync(new URL('../fixtures/encoder/ssm-block-reference.json', import.meta.url), 'utf8')) as { block: BlockFixture }
).block;

describe('ssmBlock', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  const [batch, length, dim] = fixture.shape;
  const standIn = (): Mixer => ({
    apply: (x) =>
      tf.tidy(() => {
        const flat = tf.reshape(x, [batch * length, dim]) as tf.Tensor2D;
        const y = tf.tanh(tf.add(tf.matMul(flat, tf.tensor2d(fixture.layerKernel, [dim, dim])), tf.tensor1d(fixture.layerBias)));
        return tf.reshape(y, [batch, length, dim]) as tf.Tensor3D;
      }),
  });

  for (const { prenorm, norm, y } of fixture.cases) {
    it(`equals SequenceResidualBlock with ${prenorm ? 'prenorm' : 'postnorm'} and ${norm} norm`, () => {
      const store = new ParamStore(1);
      try {
        const block = ssmBlock(store, standIn(), { prenorm, norm, dModel: dim, dropout: 0, normEps: 1e-5 });
        store.get('norm/scale').assign(tf.tensor1d(fixture.normScale));
        store.get('norm/bias').assign(tf.tensor1d(fixture.normBias));
        const out = tf.tidy(() => block.apply(tf.tensor3d(fixture.x, fixture.shape), null, trainingContext(1, 0)));
        const got = out.dataSync();
        let worst = 0;
        for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(got[i]! - y[i]!));
        out.dispose();
        expect(worst).toBeLessThan(1e-5);
      } finally {
        store.dispose();
      }
    });
  }

  it('ties its dropout mask over the length with tieDropout (S4 tie_dropout), and not without', () => {
    const ones: Mixer = { apply: (x) => tf.onesLike(x) };
    for (const tieDropout of [true, false]) {
      const store = new ParamStore(1);
      const block = ssmBlock(store, ones, { prenorm: true, norm: 'layer', dModel: dim, dropout: 0.5, normEps: 1e-5, tieDropout });
      const x = tf.zeros([batch, length, dim]) as tf.Tensor3D;
      const y = tf.tidy(() => block.apply(x, null, trainingContext(3, 1))).arraySync();
      let sharedByEveryPosition = true;
      for (let b = 0; b < batch; b++)
        for (let d = 0; d < dim; d++) for (let l = 1; l < length; l++) if (y[b]![l]![d] !== y[b]![0]![d]) sharedByEveryPosition = false;
      expect(sharedByEveryPosition).toBe(tieDropout);
      expect(new Set(y.flat(2))).toEqual(new Set([0, 2]));
      tf.dispose(x);
      store.dispose();
    }
  });

  it('refuses a mixer that brings its own residual', () => {
    const store = new ParamStore(1);
    try {
      expect(() => ssmBlock(store, { ...standIn(), ownsResidual: true }, { prenorm: true, norm: 'layer', dModel: dim, dropout: 0, normEps: 1e-5 })).toThrow(/residual/);
    } finally {
      store.dispose();
    }
  });
});
