import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { inferenceContext, trainingContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { attention, type AttentionOptions } from '../../src/mixers/attention.js';
import type { Mixer } from '../../src/mixers/types.js';
import { assertGradcheck, numericGradient } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { referenceAttention, type AttentionReferenceInput } from './attention-reference.js';
import { tensorsLeaked } from './support/leaks.js';

const B = 3;
const N = 6;
const D = 8;
const H = 2;

// Row 0: two padded keys at the end; row 1: all real; row 2: all padding.
const MASK = Float64Array.from([1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);

interface Fixture {
  store: ParamStore;
  mixer: Mixer;
  reference: (x: Float64Array, weights?: Partial<Record<'wq' | 'wk' | 'wv' | 'wo', Float64Array>>) => Float64Array;
  names: Record<'wq' | 'wk' | 'wv' | 'wo', string>;
}

function build(options: Partial<AttentionOptions>, attentionDropout = 0, mask: Float64Array | null = MASK): Fixture {
  const resolved: AttentionOptions = { ...attention.defaults, ...options };
  const width = resolved.qkvDim ?? D;
  const store = new ParamStore(17);
  const mixer = attention.create(
    { dModel: D, heads: H, seqLen: N, dropout: 0, attentionDropout, params: store.scope('mixer'), layer: 0 },
    resolved,
  );
  const names = { wq: 'mixer/query/kernel', wk: 'mixer/key/kernel', wv: 'mixer/value/kernel', wo: 'mixer/output/kernel' };
  const read = (name: string): Float64Array => Float64Array.from(store.get(name).dataSync());
  const reference: Fixture['reference'] = (x, weights = {}) => {
    const input: AttentionReferenceInput = {
      x,
      mask,
      wq: weights.wq ?? read(names.wq),
      wk: weights.wk ?? read(names.wk),
      wv: weights.wv ?? read(names.wv),
      wo: weights.wo ?? read(names.wo),
      batch: B,
      length: N,
      dModel: D,
      heads: H,
      width,
      rope: resolved.positions === 'rope',
    };
    return referenceAttention(input);
  };
  return { store, mixer, reference, names };
}

const maskTensor = (): tf.Tensor2D => tf.tensor2d(Float32Array.from(MASK), [B, N]);
const xValues = seededUniform('attention-x', B * N * D, -1.5, 1.5);
const xTensor = (): tf.Tensor3D => tf.tensor3d(Float32Array.from(xValues), [B, N, D]);

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, rows?: (i: number) => boolean): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) if (!rows || rows(i)) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

// Row 2 has no real keys: its output is only required to be finite.
const realRows = (i: number): boolean => Math.floor(i / (N * D)) !== 2;

describe('softmax attention', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const options of [{}, { positions: 'rope' as const }, { qkvDim: 12, positions: 'rope' as const }]) {
    it(`matches exact float64 attention with a padding mask ${JSON.stringify(options)}`, () => {
      const { store, mixer, reference } = build(options);
      const y = mixer.apply(xTensor(), maskTensor(), inferenceContext()).dataSync();
      expect(y.length).toBe(B * N * D);
      expect(maxAbsDiff(y, reference(xValues), realRows)).toBeLessThan(2e-5);
      expect(Array.from(y).every(Number.isFinite)).toBe(true);
      store.dispose();
    });
  }

  it('gives padded keys no weight: changing them changes nothing at real queries', () => {
    const { store, mixer } = build({});
    const changed = Float32Array.from(xValues);
    for (let n = 4; n < N; n++) for (let c = 0; c < D; c++) changed[n * D + c] = 100 * (c + 1);
    const a = mixer.apply(xTensor(), maskTensor(), inferenceContext()).dataSync();
    const b = mixer.apply(tf.tensor3d(changed, [B, N, D]), maskTensor(), inferenceContext()).dataSync();
    for (let i = 0; i < 4 * D; i++) expect(b[i]).toBe(a[i]);
    store.dispose();
  });

  it('without a mask attends to every key', () => {
    const { store, mixer, reference } = build({}, 0, null);
    const y = mixer.apply(xTensor(), null, inferenceContext()).dataSync();
    expect(maxAbsDiff(y, reference(xValues))).toBeLessThan(2e-5);
    store.dispose();
  });

  it('rejects a mask of the wrong shape', () => {
    const { store, mixer } = build({});
    expect(() => mixer.apply(xTensor(), tf.ones([B, N - 1]), inferenceContext())).toThrow('does not match input');
    store.dispose();
  });

  it('drops attention weights in training only, reproducibly per step', () => {
    const { store, mixer, reference } = build({}, 0.5);
    const atInference = mixer.apply(xTensor(), maskTensor(), inferenceContext()).dataSync();
    expect(maxAbsDiff(atInference, reference(xValues), realRows)).toBeLessThan(2e-5);
    const step1 = mixer.apply(xTensor(), maskTensor(), trainingContext(3, 1)).dataSync();
    const again = mixer.apply(xTensor(), maskTensor(), trainingContext(3, 1)).dataSync();
    const step2 = mixer.apply(xTensor(), maskTensor(), trainingContext(3, 2)).dataSync();
    expect(Array.from(again)).toEqual(Array.from(step1));
    expect(maxAbsDiff(step1, atInference)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(step2, step1)).toBeGreaterThan(1e-3);
    store.dispose();
  });

  it('creates only the four bias-free projections by default, biases on request', () => {
    const plain = build({});
    expect(plain.store.variables().map((p) => [p.name, p.variable.shape])).toEqual([
      ['mixer/query/kernel', [D, D]],
      ['mixer/key/kernel', [D, D]],
      ['mixer/value/kernel', [D, D]],
      ['mixer/output/kernel', [D, D]],
    ]);
    plain.store.dispose();
    const biased = build({ bias: true, qkvDim: 4 });
    expect(biased.store.count()).toBe(3 * (D * 4 + 4) + 4 * D + D);
    biased.store.dispose();
  });

  it('validates head widths', () => {
    const args = { dModel: D, heads: 3, seqLen: N, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
    expect(attention.validate!(args, attention.defaults)).toBe('qkvDim 8 is not divisible by 3 heads');
    expect(attention.validate!({ ...args, heads: 4 }, { ...attention.defaults, qkvDim: 12, positions: 'rope' })).toBe(
      'rope needs an even head width; qkvDim 12 / 4 heads = 3',
    );
    expect(attention.validate!({ ...args, heads: 2 }, { ...attention.defaults, positions: 'rope' })).toBeNull();
  });

  for (const options of [{}, { positions: 'rope' as const }]) {
    it(`has gradients that match finite differences of the float64 reference ${JSON.stringify(options)}`, () => {
      const { store, mixer, reference, names } = build(options);
      const outputWeights = seededUniform('attention-w', B * N * D);
      const lossOf = (y: Float64Array): number => {
        let s = 0;
        for (let i = 0; i < y.length; i++) s += realRows(i) ? y[i]! * outputWeights[i]! : 0;
        return s;
      };
      const rowWeights = tf.tensor3d(
        Float32Array.from(outputWeights, (w, i) => (realRows(i) ? w : 0)),
        [B, N, D],
      );
      const loss = (x: tf.Tensor): tf.Scalar => tf.sum(tf.mul(mixer.apply(x as tf.Tensor3D, maskTensor(), inferenceContext()), rowWeights));

      // With respect to the input.
      assertGradcheck(loss, [xTensor()], { reference: (x) => lossOf(reference(x)), atol: 1e-4, rtol: 2e-3 });

      // With respect to each projection kernel.
      const { grads } = tf.variableGrads(() => loss(xTensor()));
      for (const key of ['wq', 'wk', 'wv', 'wo'] as const) {
        const variable = store.get(names[key]);
        const numeric = numericGradient(
          (w) => lossOf(reference(xValues, { [key]: w })),
          Float64Array.from(variable.dataSync()),
        );
        const analytic = grads[variable.name]!.dataSync();
        let worst = 0;
        for (let i = 0; i < numeric.length; i++) {
          worst = Math.max(worst, Math.abs(analytic[i]! - numeric[i]!) / (1e-4 + 2e-3 * Math.abs(numeric[i]!)));
        }
        expect(worst, key).toBeLessThanOrEqual(1);
      }
      tf.dispose(grads);
      store.dispose();
    });
  }

  it('leaves no tensors behind', () => {
    const { store, mixer } = build({ positions: 'rope' }, 0.1);
    const x = xTensor();
    const mask = maskTensor();
    const y0 = mixer.apply(x, mask, trainingContext(1, 1));
    y0.dispose();
    expect(tensorsLeaked(mixer, x, mask, { context: (step) => trainingContext(1, step), rounds: 3 })).toBe(0);
    store.dispose();
  });
});
