// Rotary positions chosen at the encoder level (positions: 'rope'): no absolute positions are
// added and the mixer rotates queries and keys, so the model sees only relative positions.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { createClassifier } from '../../src/encoder/classifier.js';
import { classifierConfigProblems, type ClassifierConfig } from '../../src/encoder/config.js';
import { inferenceContext } from '../../src/nn/context.js';
import { maxAbsDiff } from './attention-family.js';

function config(overrides: Partial<ClassifierConfig>): ClassifierConfig {
  return {
    vocabSize: 11,
    seqLen: 10,
    numClasses: 3,
    dModel: 8,
    heads: 2,
    layers: 2,
    mlpDim: 16,
    dropout: 0,
    attentionDropout: 0,
    pool: 'mean',
    positions: 'rope',
    mixer: 'attention',
    mixerOptions: {},
    ...overrides,
  };
}

const tokens = [3, 1, 4, 1, 5, 9, 2];

/** Logits of a model built from `cfg` for rows of token ids (0 = padding). */
function logits(cfg: ClassifierConfig, rows: number[][]): Float32Array {
  const model = createClassifier(cfg, 4);
  const out = tf.tidy(() =>
    model.logits({ tokens: tf.tensor2d(rows, [rows.length, cfg.seqLen], 'int32') }, inferenceContext()).dataSync() as Float32Array,
  );
  model.dispose();
  return out;
}

function placed(offset: number, ids = tokens): number[] {
  const row = new Array<number>(10).fill(0);
  ids.forEach((id, i) => (row[offset + i] = id));
  return row;
}

describe("encoder positions 'rope'", () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  // Exact for softmax attention. Linear attention and FAVOR+ rotate q and k before their feature
  // maps, which keeps only the softmax kernel's expectation (FAVOR+) relative, so they are not
  // held to it here.
  it('attention: logits depend on relative positions only (a shifted sequence scores the same), and on order', () => {
    const y = logits(config({}), [placed(0), placed(3), placed(0, [...tokens].reverse())]);
    const first = y.subarray(0, 3);
    const shifted = y.subarray(3, 6);
    const reversed = y.subarray(6, 9);
    expect(maxAbsDiff(first, shifted)).toBeLessThan(2e-5);
    expect(maxAbsDiff(first, reversed)).toBeGreaterThan(1e-4);
  });

  for (const mixer of ['linear', 'performer', 'bigbird'] as const) {
    it(`${mixer} accepts it and rotates: token order changes the logits without absolute positions`, () => {
      const cfg = config({ mixer, mixerOptions: mixer === 'bigbird' ? { blockSize: 2 } : {} });
      expect(classifierConfigProblems(cfg)).toEqual([]);
      const y = logits(cfg, [placed(0), placed(0, [...tokens].reverse())]);
      expect(maxAbsDiff(y.subarray(0, 3), y.subarray(3, 6))).toBeGreaterThan(1e-4);
    });
  }

  it('adds no position parameters', () => {
    const model = createClassifier(config({}), 1);
    expect(model.params.variables().some((p) => p.name.includes('position'))).toBe(false);
    model.dispose();
  });

  it('is refused for mixers that cannot rotate queries and keys, and needs an even head width', () => {
    expect(classifierConfigProblems(config({ mixer: 'nystromformer', mixerOptions: { landmarks: 4 } }))).toEqual([
      "mixer nystromformer does not support positions 'rope'",
    ]);
    expect(classifierConfigProblems(config({ mixer: 'reformer' }))).toEqual(["mixer reformer does not support positions 'rope'"]);
    expect(classifierConfigProblems(config({ dModel: 12, heads: 2, mixerOptions: { qkvDim: 6 } }))).toEqual([
      'mixer attention at length 10: rope needs an even head width; qkvDim 6 / 2 heads = 3 (layers 0, 1)',
    ]);
    expect(classifierConfigProblems(config({}))).toEqual([]);
  });
});
