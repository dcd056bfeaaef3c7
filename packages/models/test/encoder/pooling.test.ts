// LRA's pooling modes (mean over every position, the first position without a CLS token) and
// LRA's padding mask over chosen ids, checked against plain-loop references and against each other.
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier } from '../../src/encoder/classifier.js';
import { classifierConfigProblems, type ClassifierConfig } from '../../src/encoder/config.js';
import { paddingMask } from '../../src/encoder/padding-mask.js';
import { poolCls, poolMean, poolMeanAll } from '../../src/encoder/pooling.js';
import { inferenceContext } from '../../src/nn/context.js';
import { tinyConfig } from './fixtures.js';

function randomValues(seed: string, n: number): Float32Array {
  const random = seedrandom(seed);
  return Float32Array.from({ length: n }, () => random() * 2 - 1);
}

function logitsOf(config: Partial<ClassifierConfig>, rows: number[][]): Float32Array {
  const model = createClassifier(tinyConfig({ dropout: 0, attentionDropout: 0, ...config }), 7);
  const tokens = tf.tensor2d(rows.flat(), [rows.length, rows[0]!.length], 'int32');
  const logits = model.logits({ tokens }, inferenceContext());
  const out = logits.dataSync() as Float32Array;
  tf.dispose([tokens, logits]);
  model.dispose();
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  return a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i]!)), 0);
}

describe('pooling', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  const [B, N, D] = [2, 5, 3];
  const values = randomValues('pool', B * N * D);
  const at = (b: number, n: number, d: number): number => values[(b * N + n) * D + d]!;

  it('mean-all averages every position, padding included; mean only the real ones', () => {
    const x = tf.tensor3d(values, [B, N, D]);
    const mask = tf.tensor2d([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], [B, N]);
    const all = poolMeanAll(x).dataSync();
    const real = poolMean(x, mask).dataSync();
    for (let b = 0; b < B; b++) {
      for (let d = 0; d < D; d++) {
        let sumAll = 0;
        let sumReal = 0;
        for (let n = 0; n < N; n++) {
          sumAll += at(b, n, d);
          if (b === 1 || n < 3) sumReal += at(b, n, d);
        }
        expect(all[b * D + d]).toBeCloseTo(sumAll / N, 6);
        expect(real[b * D + d]).toBeCloseTo(sumReal / (b === 0 ? 3 : N), 6);
      }
    }
    // The row without padding pools the same both ways; the padded one does not.
    expect(all[D]).toBeCloseTo(real[D]!, 6);
    expect(Math.abs(all[0]! - real[0]!)).toBeGreaterThan(1e-3);
    tf.dispose([x, mask]);
  });

  it('poolCls reads position 0', () => {
    const x = tf.tensor3d(values, [B, N, D]);
    expect(Array.from(poolCls(x).dataSync())).toEqual([0, 1, 2, 0 + N * D, 1 + N * D, 2 + N * D].map((i) => values[i]));
    x.dispose();
  });
});

describe('paddingMask', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('marks id 0 by default and every listed id when given', () => {
    const tokens = tf.tensor2d([0, 1, 2, 1, 3, 0], [2, 3], 'int32');
    expect(Array.from(paddingMask(tokens).dataSync())).toEqual([0, 1, 1, 1, 1, 0]);
    expect(Array.from(paddingMask(tokens, [0, 1]).dataSync())).toEqual([0, 0, 1, 0, 1, 0]);
    tokens.dispose();
  });

  it('leaks no tensors', () => {
    const tokens = tf.tensor2d([0, 1, 2, 1, 3, 0], [2, 3], 'int32');
    const before = tf.memory().numTensors;
    paddingMask(tokens, [0, 1, 2]).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tokens.dispose();
  });
});

describe('classifier pooling and padding ids', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it("'first' has no CLS token and reads the first real token", () => {
    const model = createClassifier(tinyConfig({ pool: 'first' }), 7);
    expect(model.params.variables().map((p) => p.name).slice(0, 2)).toEqual(['embed/tokens', 'embed/positions']);
    expect(model.params.get('embed/positions').shape).toEqual([10, 8]);
    model.dispose();
    // One real token: the first position IS the mean over real tokens, but not over all positions.
    const single = [[4, 0, 0, 0, 0, 0]];
    const first = logitsOf({ pool: 'first' }, single);
    expect(maxAbsDiff(first, logitsOf({ pool: 'mean' }, single))).toBeLessThan(1e-5);
    expect(maxAbsDiff(first, logitsOf({ pool: 'mean-all' }, single))).toBeGreaterThan(1e-4);
    // Several real tokens: the first differs from their mean.
    const several = [[4, 7, 2, 9, 0, 0]];
    expect(maxAbsDiff(logitsOf({ pool: 'first' }, several), logitsOf({ pool: 'mean' }, several))).toBeGreaterThan(1e-4);
  });

  it("'mean-all' depends on the padding, 'mean' does not", () => {
    const short = [[4, 7, 2, 0]];
    const long = [[4, 7, 2, 0, 0, 0, 0, 0]];
    expect(maxAbsDiff(logitsOf({ pool: 'mean', positions: 'none' }, short), logitsOf({ pool: 'mean', positions: 'none' }, long))).toBeLessThan(1e-5);
    expect(maxAbsDiff(logitsOf({ pool: 'mean-all', positions: 'none' }, short), logitsOf({ pool: 'mean-all', positions: 'none' }, long))).toBeGreaterThan(1e-4);
    // Without padding both pool the same positions.
    const full = [[4, 7, 2, 9, 1, 3]];
    expect(maxAbsDiff(logitsOf({ pool: 'mean-all' }, full), logitsOf({ pool: 'mean' }, full))).toBeLessThan(1e-5);
  });

  it('paddingIds mask the listed ids in attention and pooling as id 0 is masked', () => {
    // With [0, 1] as padding, trailing 1s are padding like trailing 0s: the real positions see
    // the same keys, and 'mean' pools the same positions.
    const withOnes = [[4, 7, 2, 1, 1, 1]];
    const withZeros = [[4, 7, 2, 0, 0, 0]];
    const masked = logitsOf({ pool: 'mean', paddingIds: [0, 1] }, withOnes);
    expect(maxAbsDiff(masked, logitsOf({ pool: 'mean' }, withZeros))).toBeLessThan(1e-5);
    // Without the option the 1s are real tokens.
    expect(maxAbsDiff(logitsOf({ pool: 'mean' }, withOnes), masked)).toBeGreaterThan(1e-4);
  });

  it('refuses paddingIds without 0, beyond the vocabulary, or not ids', () => {
    expect(classifierConfigProblems(tinyConfig({ paddingIds: [1] }))).toEqual(['paddingIds must include 0, the id batches are padded with; got [1]']);
    expect(classifierConfigProblems(tinyConfig({ paddingIds: [0, 11] }))).toEqual(['paddingIds must be below vocabSize 11, got [0,11]']);
    expect(classifierConfigProblems(tinyConfig({ paddingIds: [0, -1] }))).toEqual(['paddingIds must be a list of token ids, got [0,-1]']);
  });
});
