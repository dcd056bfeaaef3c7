import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { createClassifier } from '../../src/encoder/classifier.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { fnet, type FnetOptions } from '../../src/mixers/fnet.js';
import { getMixer } from '../../src/mixers/registry.js';
import type { Mixer } from '../../src/mixers/types.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { trainsOnSyntheticTask } from './support/trains.js';
import { maxAbsDiff } from './spectral-reference.js';

const B = 2;

function build(options: Partial<FnetOptions> = {}, seqLen = 7, dModel = 6): Mixer {
  return fnet.create(
    { dModel, heads: 2, seqLen, dropout: 0, attentionDropout: 0, params: new ParamStore(1), layer: 0 },
    { ...fnet.defaults, ...options },
  );
}

/** Re of the dense 2-D DFT over (tokens, channels) of each example: sum x cos(2 pi (nm/N + dc/D)). */
function dense2dDftReal(x: Float64Array, batch: number, n: number, d: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let b = 0; b < batch; b++) {
    for (let k = 0; k < n; k++) {
      for (let l = 0; l < d; l++) {
        let sum = 0;
        for (let m = 0; m < n; m++) {
          for (let c = 0; c < d; c++) sum += x[(b * n + m) * d + c]! * Math.cos(2 * Math.PI * ((k * m) / n + (l * c) / d));
        }
        out[(b * n + k) * d + l] = sum;
      }
    }
  }
  return out;
}

describe('fnet', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  for (const [n, d] of [
    [7, 6],
    [8, 4],
    [9, 5],
  ] as const) {
    it(`equals the real part of a dense 2-D DFT (N ${n}, D ${d}), taken once at the end`, () => {
      const values = seededUniform(`fnet-x-${n}-${d}`, B * n * d, -1, 1);
      const y = tf.tidy(() => build({}, n, d).apply(tf.tensor3d(Float32Array.from(values), [B, n, d]), null, inferenceContext()).dataSync());
      const expected = dense2dDftReal(values, B, n, d);
      expect(maxAbsDiff(y, expected)).toBeLessThan(1e-4);
      // Taking the real part between the two 1-D transforms gives something else.
      let between = 0;
      for (let i = 0; i < expected.length; i++) between = Math.max(between, Math.abs(expected[i]!));
      expect(between).toBeGreaterThan(1);
    });
  }

  it('ortho scales by 1/sqrt(N D)', () => {
    const values = seededUniform('fnet-ortho', B * 7 * 6);
    const x = tf.tensor3d(Float32Array.from(values), [B, 7, 6]);
    const plain = build().apply(x, null, inferenceContext());
    const ortho = build({ norm: 'ortho' }).apply(x, null, inferenceContext());
    const expected = Float64Array.from(plain.dataSync(), (v) => v / Math.sqrt(42));
    expect(maxAbsDiff(ortho.dataSync(), expected)).toBeLessThan(1e-5);
    tf.dispose([x, plain, ortho]);
  });

  it('ignores the padding mask by design and keeps the shape at odd and LRA lengths', () => {
    const values = seededUniform('fnet-mask', B * 7 * 6);
    const x = tf.tensor3d(Float32Array.from(values), [B, 7, 6]);
    const mask = tf.tensor2d([1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1], [B, 7]);
    const a = build().apply(x, null, inferenceContext());
    const b = build().apply(x, mask, inferenceContext());
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, mask, a, b]);
    for (const n of [1, 3, 1025, 2001, 4001]) {
      const y = tf.tidy(() => build({}, n, 4).apply(tf.ones([1, n, 4]), null, inferenceContext()));
      expect(y.shape).toEqual([1, n, 4]);
      // A constant input puts everything into the DC term: y[0, 0] = N * D, the rest zero.
      const data = y.dataSync();
      expect(data[0]).toBeCloseTo(n * 4, 0);
      expect(Math.abs(data[4 * n - 1]!)).toBeLessThan(1e-2 * n);
      y.dispose();
    }
  });

  it('has gradients that match finite differences of the dense DFT', () => {
    const [n, d] = [6, 5];
    const weights = seededUniform('fnet-w', B * n * d);
    const w = tf.tensor3d(Float32Array.from(weights), [B, n, d]);
    const mixer = build({}, n, d);
    const x = tf.tensor3d(Float32Array.from(seededUniform('fnet-g', B * n * d)), [B, n, d]);
    assertGradcheck((input) => tf.sum(tf.mul(mixer.apply(input as tf.Tensor3D, null, inferenceContext()), w)), [x], {
      reference: (xs) => dense2dDftReal(xs, B, n, d).reduce((s, v, i) => s + v * weights[i]!, 0),
      atol: 1e-3,
      rtol: 1e-3,
    });
    tf.dispose([w, x]);
  });

  it('is registered post-LN with LayerNorm eps 1e-12, which the classifier uses, and has no parameters', () => {
    expect(getMixer('fnet')).toBe(fnet);
    expect(fnet.block).toBe('post-ln');
    expect(fnet.layerNormEps).toBe(1e-12);
    const config = {
      vocabSize: 5, seqLen: 6, numClasses: 2, dModel: 4, heads: 2, layers: 1, mlpDim: 8, dropout: 0,
      attentionDropout: 0, pool: 'mean' as const, positions: 'none' as const, mixer: 'fnet' as const, mixerOptions: {},
    };
    const tokens = tf.tensor2d([[1, 2, 3, 4, 1, 2]], [1, 6], 'int32');
    // Embeddings of size ~1e-5 give rows whose variance (~1e-8) an eps of 1e-6 would swamp.
    const logitsWith = (eps: number | undefined): Float32Array => {
      const model = createClassifier(eps === undefined ? config : { ...config, layerNormEps: eps }, 3);
      const snapshot = model.params.snapshot();
      snapshot['embed/tokens']!.values = snapshot['embed/tokens']!.values.map((v) => v * 1e-5);
      model.params.restore(snapshot);
      const names = model.params.variables().map((p) => p.name);
      expect(names.filter((name) => name.includes('/mixer/'))).toEqual([]);
      expect(names).not.toContain('encoderNorm/scale');
      const logits = tf.tidy(() => model.logits({ tokens }, inferenceContext()).dataSync() as Float32Array);
      model.dispose();
      return logits;
    };
    const byDefault = logitsWith(undefined);
    expect(Array.from(byDefault)).toEqual(Array.from(logitsWith(1e-12)));
    expect(maxAbsDiff(byDefault, logitsWith(1e-6))).toBeGreaterThan(1e-3);
    tokens.dispose();
  });

  it('trains: a few dozen steps lower the loss, without leaking tensors', () => {
    // CLS pooling, as FNet's BERT-style classifier (a mean over Re(DFT) rows mostly sees one token).
    const result = trainsOnSyntheticTask('fnet', {}, { steps: 40, overrides: { pool: 'cls' } });
    expect(result.leaked).toBe(0);
    expect(result.lastLoss).toBeLessThan(result.firstLoss * 0.7);
  });

  it('leaves no tensors behind', () => {
    const mixer = build();
    const x = tf.ones([B, 7, 6]) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    mixer.apply(x, null, inferenceContext()).dispose();
    const { value, grad } = tf.valueAndGrad((input: tf.Tensor) => tf.sum(mixer.apply(input as tf.Tensor3D, null, inferenceContext())))(x);
    tf.dispose([value, grad]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
