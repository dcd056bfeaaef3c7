// Configs with no reversible form are refused with a reason, before anything is allocated
// (a mixer that owns its residual: when it is built, leaving nothing behind).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier } from '../../src/encoder/classifier.js';
import { classifierConfigProblems, type ClassifierConfig } from '../../src/encoder/config.js';
import { tinyConfig } from './fixtures.js';

describe('reversible config', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('refuses post-LN blocks, whether the mixer\'s default or set', () => {
    expect(classifierConfigProblems(tinyConfig({ reversible: true, mixer: 'fnet' }))).toEqual([
      'reversible blocks need pre-ln blocks; these are post-ln (the default of mixer fnet), and LN(x + F(x)) has no inverse',
    ]);
    expect(classifierConfigProblems(tinyConfig({ reversible: true, block: 'post-ln' }))).toEqual([
      'reversible blocks need pre-ln blocks; these are post-ln (set by block), and LN(x + F(x)) has no inverse',
    ]);
    expect(classifierConfigProblems(tinyConfig({ reversible: true, mixer: 'fnet', block: 'pre-ln' }))).toEqual([]);
    expect(classifierConfigProblems(tinyConfig({ reversible: false, mixer: 'fnet' }))).toEqual([]);
  });

  it('refuses a mixer that shortens the sequence, and accepts it where it shortens nothing', () => {
    expect(classifierConfigProblems(tinyConfig({ reversible: true, mixer: 'fourier-transformer' }))).toEqual([
      'reversible blocks need a mixer that keeps the length, and mixer fourier-transformer shortens it (layer 0)',
    ]);
    expect(
      classifierConfigProblems(tinyConfig({ reversible: true, mixer: 'fourier-transformer', mixerOptions: { layers: [1], keep: 0.5 } })),
    ).toEqual(['reversible blocks need a mixer that keeps the length, and mixer fourier-transformer shortens it (layer 1)']);
    expect(classifierConfigProblems(tinyConfig({ reversible: true, mixer: 'fourier-transformer', mixerOptions: { layers: [] } }))).toEqual([]);
  });

  it('refuses a value that is not a boolean', () => {
    const config = { ...tinyConfig(), reversible: 'yes' } as unknown as ClassifierConfig;
    expect(classifierConfigProblems(config)).toEqual(['reversible must be true or false, got "yes"']);
  });

  it('refuses a mixer that owns its residual when building it, leaving no tensor behind', () => {
    const before = tf.memory().numTensors;
    expect(() => createClassifier(tinyConfig({ reversible: true, mixer: 'fftnet' }), 1)).toThrow(
      'invalid classifier config: reversible blocks need a mixer that leaves the residual to the block, and this mixer owns its residual',
    );
    expect(tf.memory().numTensors).toBe(before);
    // Mega's layer holds its residual in either block style.
    expect(() => createClassifier(tinyConfig({ reversible: true, mixer: 'mega', block: 'pre-ln' }), 1)).toThrow('this mixer owns its residual');
    expect(tf.memory().numTensors).toBe(before);
    const other = createClassifier(tinyConfig({ reversible: true, mixer: 'fftnet', mixerOptions: { variant: 'gelu-dcb3104' } }), 1);
    other.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
