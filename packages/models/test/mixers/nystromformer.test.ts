import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import {
  newtonSchulzPinv,
  nystromAttentionHeads,
  nystromformer,
  segmentMeanMatrix,
} from '../../src/mixers/nystromformer.js';
import { ParamStore } from '../../src/nn/params.js';
import { seededUniform } from '../support/random.js';
import {
  buildMixer,
  dot64,
  headTensor,
  inputValues,
  leakedTensors,
  maxAbsDiff,
  mixerGradients,
  outputAt,
  paddingChangesNothing,
  softmaxFromScores64,
  tailMask,
  type Heads64,
} from './attention-family.js';
import { trainsOnSyntheticTask } from './support/trains.js';

const dims: Heads64 = { bh: 3, n: 8, d: 4 };
const q = seededUniform('ny-q', dims.bh * dims.n * dims.d, -1, 1);
const k = seededUniform('ny-k', dims.bh * dims.n * dims.d, -1, 1);
const v = seededUniform('ny-v', dims.bh * dims.n * dims.d);
const real = (h: number, j: number) => h !== 1 || j < 5;
const keyMask = () =>
  tf.tensor3d(
    Array.from({ length: dims.bh * dims.n }, (_, t) => (real(Math.floor(t / dims.n), t % dims.n) ? 1 : 0)),
    [dims.bh, dims.n, 1],
  );
const sizes = { batch: 2, length: 9, dModel: 8, heads: 2 };

describe('nystromformer', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  // The Newton-Schulz pseudo-inverse has not fully converged after the reference's 6 steps on a
  // near-uniform attention matrix (measured: 1.2e-2 max error with 6 steps, 8e-4 with 10, 5e-5 with 20).
  it('with landmarks = N equals exact softmax attention: within 2e-2 after 6 Newton-Schulz steps, 1e-4 after 20', () => {
    const expected = softmaxFromScores64(
      dims,
      (h, i, j) => (real(h, j) ? dot64(q, (h * dims.n + i) * dims.d, k, (h * dims.n + j) * dims.d, dims.d) / Math.sqrt(dims.d) : null),
      v,
    );
    // Without padding the landmark kernel is the full attention matrix, well conditioned here.
    const unmasked = softmaxFromScores64(
      dims,
      (h, i, j) => dot64(q, (h * dims.n + i) * dims.d, k, (h * dims.n + j) * dims.d, dims.d) / Math.sqrt(dims.d),
      v,
    );
    const run = (mask: tf.Tensor3D | null, iterations: number) =>
      tf.tidy(() =>
        nystromAttentionHeads(headTensor(q, dims), headTensor(k, dims), headTensor(v, dims), mask, {
          landmarks: dims.n,
          pinvIterations: iterations,
        }).dataSync(),
      );
    expect(maxAbsDiff(run(null, 6), unmasked)).toBeLessThan(2e-2);
    expect(maxAbsDiff(run(null, 20), unmasked)).toBeLessThan(1e-4);
    // Padded queries and keys are zeroed, so their rows of the landmark kernel are uniform:
    // real outputs still match exact attention over real keys.
    const realRows = (i: number) => real(Math.floor(i / (dims.n * dims.d)), Math.floor(i / dims.d) % dims.n);
    const masked = tf.tidy(() => run(keyMask(), 20));
    expect(maxAbsDiff(masked, expected, realRows)).toBeLessThan(1e-4);
  });

  it('inverts a landmark kernel by Newton-Schulz iterations', () => {
    const kernel = tf.tidy(() => tf.softmax(tf.mul(tf.eye(5), 3).add(tf.tensor2d(Float32Array.from(seededUniform('pk', 25)), [5, 5]))).reshape([1, 5, 5]));
    const z = newtonSchulzPinv(kernel as tf.Tensor3D, 8);
    const product = tf.tidy(() => tf.matMul(kernel as tf.Tensor3D, z).dataSync());
    const identity = tf.tidy(() => tf.eye(5).dataSync());
    expect(maxAbsDiff(product, identity)).toBeLessThan(1e-4);
    tf.dispose([kernel, z]);
  });

  it('takes landmarks as segment means, uneven segments when m does not divide N', () => {
    const even = segmentMeanMatrix(2, 6);
    expect(Array.from(even)).toEqual([1 / 3, 1 / 3, 1 / 3, 0, 0, 0, 0, 0, 0, 1 / 3, 1 / 3, 1 / 3].map(Math.fround));
    const uneven = segmentMeanMatrix(4, 10);
    const lengths = [0, 1, 2, 3].map((s) => Array.from(uneven.subarray(s * 10, s * 10 + 10)).filter((a) => a > 0).length);
    expect(lengths).toEqual([2, 3, 2, 3]);
    for (let s = 0; s < 4; s++) expect(uneven.subarray(s * 10, s * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('has gradients matching finite differences for the input and every parameter, the convolution included', () => {
    const built = buildMixer(nystromformer, { landmarks: 3, convKernel: 5 }, sizes);
    const { scaled } = mixerGradients(built, inputValues('ny-g', sizes), tailMask(sizes, [2, 0]), sizes);
    expect(Object.keys(scaled)).toContain('mixer/conv/kernel');
    expect(Object.keys(scaled)).toHaveLength(6);
    for (const [name, error] of Object.entries(scaled)) expect(error, name).toBeLessThanOrEqual(1);
    built.store.dispose();
  });

  it('ignores the content of padded positions', () => {
    const built = buildMixer(nystromformer, { landmarks: 4 }, sizes);
    expect(paddingChangesNothing(built, sizes, tailMask(sizes, [3, 1]), inputValues('np', sizes))).toBeLessThan(1e-5);
    built.store.dispose();
  });

  for (const length of [1, 7, 65, 1025]) {
    it(`maps [B, ${length}, D] to [B, ${length}, D] with finite values`, () => {
      const s = { ...sizes, length };
      const built = buildMixer(nystromformer, { landmarks: Math.min(64, length) }, s);
      expect(outputAt(built, s)).toEqual({ shape: [2, length, 8], finite: true });
      built.store.dispose();
    });
  }

  it('validates its options', () => {
    const args = { dModel: 8, heads: 2, seqLen: 9, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
    expect(nystromformer.validate!(args, nystromformer.defaults)).toBe('landmarks 64 exceed the sequence length 9');
    expect(nystromformer.validate!(args, { ...nystromformer.defaults, landmarks: 3, convKernel: 4 })).toBe(
      'convKernel must be an odd positive integer or null, got 4',
    );
    expect(nystromformer.validate!(args, { ...nystromformer.defaults, landmarks: 3, pinvIterations: 0 })).toBe(
      'pinvIterations must be a positive integer, got 0',
    );
    expect(nystromformer.validate!(args, { ...nystromformer.defaults, landmarks: 9, convKernel: null })).toBeNull();
  });

  it('leaves no tensors behind', () => {
    const built = buildMixer(nystromformer, { landmarks: 3 }, sizes, { attentionDropout: 0.1 });
    expect(leakedTensors(built, sizes)).toBe(0);
    built.store.dispose();
  });

  it('trains: a few dozen steps lower the loss of a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('nystromformer', { landmarks: 4 }, { steps: 40 });
    expect(lastLoss).toBeLessThan(0.8 * firstLoss);
    expect(leaked).toBe(0);
  });
});
