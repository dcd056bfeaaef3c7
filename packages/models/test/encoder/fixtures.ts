import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import type { ClassifierConfig } from '../../src/encoder/config.js';

/** A classifier small enough for finite differences and fast tests. */
export function tinyConfig(overrides: Partial<ClassifierConfig> = {}): ClassifierConfig {
  return {
    vocabSize: 11,
    seqLen: 10,
    numClasses: 3,
    dModel: 8,
    heads: 2,
    layers: 2,
    mlpDim: 16,
    dropout: 0.1,
    attentionDropout: 0.1,
    pool: 'cls',
    positions: 'learned',
    mixer: 'attention',
    mixerOptions: {},
    ...overrides,
  };
}

/** int32 [rows, length] of ids in [1, vocab) with lengths[r] real tokens, then padding 0. */
export function paddedTokens(seed: string, lengths: number[], length: number, vocab = 11): tf.Tensor2D {
  const random = seedrandom(seed);
  const ids = new Int32Array(lengths.length * length);
  lengths.forEach((real, r) => {
    for (let i = 0; i < real; i++) ids[r * length + i] = 1 + Math.floor(random() * (vocab - 1));
  });
  return tf.tensor2d(ids, [lengths.length, length], 'int32');
}

/** The same rows with `extra` more padding columns at the end. */
export function morePadding(tokens: tf.Tensor2D, extra: number): tf.Tensor2D {
  return tf.pad(tokens, [[0, 0], [0, extra]]);
}
