import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { encoderBlock } from '../../src/encoder/block.js';
import type { BlockStyle, Mixer } from '../../src/mixers/types.js';
import { gelu } from '../../src/nn/activations.js';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { seededUniform } from '../support/random.js';

const B = 2;
const N = 5;
const D = 4;
const EPS = 1e-6;

/** A stand-in mixer (3x, or the first `keep` positions of 2x) that records what it was handed. */
function recordingMixer(flags: Partial<Mixer> & { keep?: number }): Mixer & { seen: number[][]; residuals: number[][] } {
  const seen: number[][] = [];
  const residuals: number[][] = [];
  const keep = flags.keep;
  return {
    ...flags,
    seen,
    residuals,
    apply(x) {
      seen.push(Array.from(x.dataSync()));
      if (keep === undefined) return tf.mul(x, 3) as tf.Tensor3D;
      return tf.mul(tf.slice(x, [0, 0, 0], [B, keep, D]), 2) as tf.Tensor3D;
    },
    residual(x) {
      residuals.push(Array.from(x.dataSync()));
      return tf.slice(x, [0, 0, 0], [B, keep ?? N, D]) as tf.Tensor3D;
    },
  };
}

function layerNormWith(store: ParamStore, name: string, x: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, EPS)));
  return tf.add(tf.mul(normed, store.get(`${name}/scale`)), store.get(`${name}/bias`));
}

function feedForwardWith(store: ParamStore, x: tf.Tensor): tf.Tensor {
  const dense = (name: string, t: tf.Tensor, units: number) =>
    tf.reshape(
      tf.add(tf.matMul(tf.reshape(t, [-1, t.shape[t.rank - 1]!]), store.get(`feedForward/${name}/kernel`)), store.get(`feedForward/${name}/bias`)),
      [B, -1, units],
    );
  return dense('contract', gelu(dense('expand', x, 8)), D);
}

function build(mixer: Mixer, style: BlockStyle, dropout = 0) {
  const store = new ParamStore(9);
  const block = encoderBlock(store, mixer, { style, dModel: D, mlpDim: 8, dropout, layerNormEps: EPS });
  // Move the norms off ones and zeros so that a skipped or misplaced norm shows.
  const snapshot = store.snapshot();
  for (const [name, entry] of Object.entries(snapshot)) {
    const noise = seededUniform(`block-${name}`, entry.values.length, -0.5, 0.5);
    entry.values = entry.values.map((v, i) => v + noise[i]!);
  }
  store.restore(snapshot);
  return { store, block };
}

const xValues = Float32Array.from(seededUniform('block-x', B * N * D, -2, 2));

describe('encoder block', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('pre-ln: x + mix(LN(x)), then h + FF(LN(h)); post-ln: LN(x + mix(x)), then LN(h + FF(h))', () => {
    for (const style of ['pre-ln', 'post-ln'] as const) {
      const { store, block } = build(recordingMixer({}), style);
      const x = tf.tensor3d(xValues, [B, N, D]);
      const y = block.apply(x, null, inferenceContext());
      const expected = tf.tidy(() => {
        if (style === 'pre-ln') {
          const h = tf.add(x, tf.mul(layerNormWith(store, 'mixerNorm', x), 3));
          return tf.add(h, feedForwardWith(store, layerNormWith(store, 'feedForwardNorm', h)));
        }
        const h = layerNormWith(store, 'mixerNorm', tf.add(x, tf.mul(x, 3)));
        return layerNormWith(store, 'feedForwardNorm', tf.add(h, feedForwardWith(store, h)));
      });
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(y, expected))).dataSync()[0]!);
      expect(diff, style).toBeLessThan(1e-5);
      tf.dispose([x, y, expected]);
      store.dispose();
    }
  });

  it('a mixer that owns its residual gets x as is, and no norm, dropout or residual is added around it', () => {
    for (const style of ['pre-ln', 'post-ln'] as const) {
      const mixer = recordingMixer({ ownsResidual: true });
      const { store, block } = build(mixer, style, 0.5);
      expect(store.variables().map((p) => p.name).filter((name) => name.startsWith('mixerNorm'))).toEqual([]);
      const x = tf.tensor3d(xValues, [B, N, D]);
      // Training with dropout 0.5: only the feed-forward's own dropout may act.
      const y = block.apply(x, null, trainingContext(1, 1));
      expect(mixer.seen[0]).toEqual(Array.from(xValues));
      const expected = tf.tidy(() => {
        const h = tf.mul(x, 3);
        return style === 'pre-ln'
          ? tf.add(h, feedForwardWith(store, layerNormWith(store, 'feedForwardNorm', h)))
          : layerNormWith(store, 'feedForwardNorm', tf.add(h, feedForwardWith(store, h)));
      });
      const atInference = block.apply(x, null, inferenceContext());
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(atInference, expected))).dataSync()[0]!);
      expect(diff, style).toBeLessThan(1e-5);
      tf.dispose([x, y, expected, atInference]);
      store.dispose();
    }
  });

  it('hands residual() the block input, or the normalised mixer input when the mixer asks for it', () => {
    for (const fromMixerInput of [false, true]) {
      const mixer = recordingMixer({ keep: 2, residualFromMixerInput: fromMixerInput });
      const { store, block } = build(mixer, 'pre-ln');
      const x = tf.tensor3d(xValues, [B, N, D]);
      const y = block.apply(x, null, inferenceContext());
      expect(y.shape).toEqual([B, 2, D]);
      expect(mixer.residuals[0]).toEqual(fromMixerInput ? mixer.seen[0] : Array.from(xValues));
      expect(mixer.seen[0]).not.toEqual(Array.from(xValues));
      tf.dispose([x, y]);
      store.dispose();
    }
  });
});
