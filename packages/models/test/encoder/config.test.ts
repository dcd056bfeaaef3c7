import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  blockStyleOf,
  classifierConfigProblems,
  encoderLength,
  validateClassifierConfig,
  type ClassifierConfig,
} from '../../src/encoder/config.js';
import { describeClassifier } from '../../src/encoder/describe.js';
import { createClassifier } from '../../src/encoder/classifier.js';
import { mixerNames, type MixerName } from '../../src/mixers/registry.js';
import { tinyConfig } from './fixtures.js';

describe('classifier config validation', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('accepts a valid config', () => {
    expect(classifierConfigProblems(tinyConfig())).toEqual([]);
    expect(() => validateClassifierConfig(tinyConfig({ pair: true, pairInteraction: 'nli' }))).not.toThrow();
  });

  it('lists every problem at once', () => {
    const broken = {
      ...tinyConfig(),
      vocabSize: 0,
      dModel: 7.5,
      dropout: 1,
      pool: 'max',
      positions: 'rotary',
      pairInteraction: 'dot',
      layerNormEps: 0,
      colour: 'blue',
    } as unknown as ClassifierConfig;
    expect(classifierConfigProblems(broken)).toEqual([
      'unknown config key "colour"',
      'vocabSize must be a positive integer, got 0',
      'dModel must be a positive integer, got 7.5',
      'dropout must be in [0, 1), got 1',
      'pool must be "cls", "mean", "mean-all", "first", got "max"',
      'positions must be "learned", "sinusoidal", "rope" or "none", got "rotary"',
      'pairInteraction must be "concat" or "nli", got "dot"',
      'layerNormEps must be positive, got 0',
    ]);
  });

  it('reports unknown mixers and bad mixer options', () => {
    expect(classifierConfigProblems(tinyConfig({ mixer: 'transformer-xl' as MixerName }))).toEqual([
      `unknown mixer "transformer-xl"; known: ${mixerNames.join(', ')}`,
    ]);
    expect(classifierConfigProblems(tinyConfig({ mixerOptions: { positions: 'alibi' } }))).toEqual([
      'option "positions" of mixer attention must be one of "none", "rope", got string "alibi"',
    ]);
  });

  it('asks the mixer whether it accepts the length and widths, once per distinct verdict', () => {
    expect(classifierConfigProblems(tinyConfig({ heads: 3, layers: 4 }))).toEqual([
      'mixer attention at length 11: qkvDim 8 is not divisible by 3 heads (layers 0, 1, 2, 3)',
    ]);
    expect(classifierConfigProblems(tinyConfig({ positions: 'sinusoidal', dModel: 6, heads: 2, mixerOptions: { qkvDim: 6 } }))).toEqual([]);
    expect(classifierConfigProblems(tinyConfig({ positions: 'sinusoidal', dModel: 9, heads: 3 }))).toEqual([
      'sinusoidal positions need an even dModel, got 9',
    ]);
    expect(() => validateClassifierConfig(tinyConfig({ heads: 3, layers: 1 }))).toThrow(
      'invalid classifier config: mixer attention at length 11: qkvDim 8 is not divisible by 3 heads (layer 0)',
    );
  });

  it('derives the block style and the length the mixers see', () => {
    expect(blockStyleOf(tinyConfig())).toBe('pre-ln');
    expect(blockStyleOf(tinyConfig({ block: 'post-ln' }))).toBe('post-ln');
    expect(encoderLength({ seqLen: 1000, pool: 'cls' })).toBe(1001);
    expect(encoderLength({ seqLen: 1000, pool: 'mean' })).toBe(1000);
    expect(encoderLength({ seqLen: 1000, pool: 'mean-all' })).toBe(1000);
    expect(encoderLength({ seqLen: 1000, pool: 'first' })).toBe(1000);
  });
});

describe('describeClassifier', () => {
  it('counts parameters per component and frees what it built', () => {
    const config = tinyConfig({ layers: 3 });
    const before = tf.memory().numTensors;
    const description = describeClassifier(config);
    expect(tf.memory().numTensors).toBe(before);
    const model = createClassifier(config, 1);
    expect(description.total).toBe(model.paramCount());
    model.dispose();
    const D = 8;
    expect(description.components.slice(0, 4)).toEqual([
      { name: 'embed/tokens', kind: 'embedding', params: 11 * D },
      { name: 'embed/cls', kind: 'embedding', params: D },
      { name: 'embed/positions', kind: 'embedding', params: 11 * D },
      { name: 'layer0/mixer', kind: 'mixer', params: 4 * D * D },
    ]);
    expect(description.components.find((c) => c.name === 'layer2/mixer')).toEqual({
      name: 'layer2/mixer',
      kind: 'mixer',
      params: 4 * D * D,
    });
    expect(description.byKind).toEqual({
      embedding: 11 * D + D + 11 * D,
      mixer: 3 * 4 * D * D,
      norm: 3 * 4 * D + 2 * D,
      feedForward: 3 * (2 * D * 16 + 16 + D),
      head: D * 16 + 16 + 16 * 3 + 3,
    });
    const sum = description.components.reduce((a, c) => a + c.params, 0);
    expect(sum).toBe(description.total);
  });

  it('refuses an invalid config without building anything', () => {
    const before = tf.memory().numTensors;
    expect(() => describeClassifier(tinyConfig({ mixerOptions: { qkv: 4 } }))).toThrow('unknown option "qkv"');
    expect(tf.memory().numTensors).toBe(before);
  });
});
