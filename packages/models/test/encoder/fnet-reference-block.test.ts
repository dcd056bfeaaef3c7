// FNet's own block (impl 'reference', google-research f_net/layers.py): LN(x + mix(x)) with no
// dropout on the mixing output, then LN(h + FF(h)) with FF = Dense -> GELU -> Dense -> dropout,
// kernels normal(0.02), the first bias normal(0.02), the output bias zeros.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { encoderBlock } from '../../src/encoder/block.js';
import { createClassifier } from '../../src/encoder/classifier.js';
import { fnet, type FnetOptions } from '../../src/mixers/fnet.js';
import { gelu } from '../../src/nn/activations.js';
import { recordingContext, replayingContext, trainingContext } from '../../src/nn/context.js';
import { dropout } from '../../src/nn/dropout.js';
import { ParamStore } from '../../src/nn/params.js';
import { seededUniform } from '../support/random.js';
import { tinyConfig } from './fixtures.js';

const B = 2;
const N = 6;
const D = 8;
const MLP = 16;
const EPS = 1e-12;
const RATE = 0.4;

function build(impl: FnetOptions['impl'], mlpDim = MLP, width = D) {
  const store = new ParamStore(17);
  const mixer = fnet.create({ dModel: width, heads: 2, seqLen: N, dropout: RATE, attentionDropout: 0, params: store.scope('mixer'), layer: 0 }, { ...fnet.defaults, impl });
  const block = encoderBlock(store, mixer, { style: 'post-ln', dModel: width, mlpDim, dropout: RATE, layerNormEps: EPS });
  return { store, mixer, block };
}

function layerNorm(store: ParamStore, name: string, x: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, EPS)));
  return tf.add(tf.mul(normed, store.get(`${name}/scale`)), store.get(`${name}/bias`));
}

function denseOf(store: ParamStore, name: string, x: tf.Tensor): tf.Tensor {
  const kernel = store.get(`feedForward/${name}/kernel`);
  const flat = tf.reshape(x, [-1, kernel.shape[0]!]) as tf.Tensor2D;
  return tf.reshape(tf.add(tf.matMul(flat, kernel), store.get(`feedForward/${name}/bias`)), [B, N, kernel.shape[1]!]);
}

function std(values: Float32Array): number {
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
}

describe("fnet impl 'reference': FNet's encoder block", () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('drops out only after the feed-forward output: LN2(h + drop(W2 GELU(W1 h + b1) + b2)), h = LN1(x + mix(x))', () => {
    const { store, mixer, block } = build('reference');
    const x = tf.tensor3d(Float32Array.from(seededUniform('fnet-block-x', B * N * D)), [B, N, D]);
    const recorded = recordingContext(trainingContext(5, 2));
    const out = block.apply(x, null, recorded.ctx);
    // One dropout draw in the whole block: FNet's block has no other.
    expect(recorded.seeds.length).toBe(1);
    const expected = tf.tidy(() => {
      const h = layerNorm(store, 'mixerNorm', tf.add(x, mixer.apply(x, null, trainingContext(5, 2))));
      const ff = denseOf(store, 'contract', gelu(denseOf(store, 'expand', h)));
      const dropped = dropout(ff, RATE, replayingContext(trainingContext(5, 2), recorded.seeds));
      return layerNorm(store, 'feedForwardNorm', tf.add(h, dropped));
    });
    const a = out.dataSync();
    const b = expected.dataSync();
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThan(1e-4);
    // The dropout did act: some feed-forward outputs were zeroed, so the block is not the
    // dropout-free one.
    const plain = tf.tidy(() => {
      const h = layerNorm(store, 'mixerNorm', tf.add(x, mixer.apply(x, null, trainingContext(5, 2))));
      return layerNorm(store, 'feedForwardNorm', tf.add(h, denseOf(store, 'contract', gelu(denseOf(store, 'expand', h)))));
    });
    const c = plain.dataSync();
    let moved = 0;
    for (let i = 0; i < a.length; i++) moved = Math.max(moved, Math.abs(a[i]! - c[i]!));
    expect(moved).toBeGreaterThan(1e-3);
    tf.dispose([x, out, expected, plain]);
    store.dispose();
  });

  it("the clean block draws three dropout masks (mixer output, feed-forward hidden and output)", () => {
    const { store, block } = build('clean');
    const x = tf.tensor3d(Float32Array.from(seededUniform('fnet-block-x', B * N * D)), [B, N, D]);
    const recorded = recordingContext(trainingContext(5, 2));
    block.apply(x, null, recorded.ctx).dispose();
    expect(recorded.seeds.length).toBe(3);
    x.dispose();
    store.dispose();
  });

  it('initialises the feed-forward as FNet: kernels and first bias normal(0.02), output bias zeros', () => {
    const { store } = build('reference', 256, 64);
    const values = (name: string) => store.get(`feedForward/${name}`).dataSync() as Float32Array;
    for (const name of ['expand/kernel', 'contract/kernel']) expect(Math.abs(std(values(name)) / 0.02 - 1)).toBeLessThan(0.05);
    expect(Math.abs(std(values('expand/bias')) / 0.02 - 1)).toBeLessThan(0.2);
    expect(Array.from(values('contract/bias')).every((v) => v === 0)).toBe(true);
    store.dispose();
    // The clean block keeps LRA's: xavier-uniform kernels, std sqrt(2 / (fanIn + fanOut)).
    const clean = build('clean', 256, 64).store;
    const kernel = clean.get('feedForward/expand/kernel').dataSync() as Float32Array;
    expect(Math.abs(std(kernel) / Math.sqrt(2 / (64 + 256)) - 1)).toBeLessThan(0.05);
    clean.dispose();
  });

  it('builds a classifier with the same parameter names as the clean block', () => {
    const names = (impl: FnetOptions['impl']) => {
      const model = createClassifier(tinyConfig({ mixer: 'fnet', mixerOptions: { impl } }), 3);
      const list = model.params.variables().map((p) => p.name);
      model.dispose();
      return list;
    };
    expect(names('reference')).toEqual(names('clean'));
  });
});
