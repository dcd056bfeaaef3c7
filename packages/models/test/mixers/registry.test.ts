import { describe, expect, expectTypeOf, it } from 'vitest';
import { attention } from '../../src/mixers/attention.js';
import { listMixers } from '../../src/mixers/catalog.js';
import {
  getMixer,
  isMixerName,
  mixerNames,
  mixers,
  resolveMixerOptions,
  type MixerName,
} from '../../src/mixers/registry.js';

describe('mixer registry', () => {
  it('lists the registered mixers with their metadata', () => {
    expect(mixerNames).toContain('attention');
    expect(getMixer('attention')).toBe(attention);
    for (const name of mixerNames) {
      const spec = mixers[name];
      expect(spec.name).toBe(name);
      expect(spec.title.length).toBeGreaterThan(0);
      expect(spec.paper.length).toBeGreaterThan(0);
      expect(['attention', 'spectral', 'convolution', 'state-space', 'mlp']).toContain(spec.kind);
    }
    expectTypeOf<'attention'>().toMatchTypeOf<MixerName>();
    expect(isMixerName('attention')).toBe(true);
    expect(isMixerName('toString')).toBe(false);
  });

  it('names the known mixers when asked for an unknown one', () => {
    expect(() => getMixer('atention')).toThrow(`unknown mixer "atention"; known: ${mixerNames.join(', ')}`);
  });

  it('merges options over the defaults', () => {
    expect(resolveMixerOptions('attention')).toEqual({ qkvDim: null, positions: 'none', bias: false, implementation: 'auto', blockSize: null, keyBlockSize: null, impl: 'clean' });
    expect(resolveMixerOptions('attention', { positions: 'rope', qkvDim: 64 })).toEqual({
      qkvDim: 64,
      positions: 'rope',
      bias: false,
      implementation: 'auto', blockSize: null, keyBlockSize: null,
      impl: 'clean',
    });
    // The defaults object itself is never modified.
    expect(attention.defaults.positions).toBe('none');
  });

  it('rejects unknown options, naming the known ones', () => {
    expect(() => resolveMixerOptions('attention', { x: 1 })).toThrow(
      'unknown option "x" for mixer attention; known: qkvDim, positions, bias',
    );
  });

  it('rejects values of the wrong type or outside the choices', () => {
    expect(() => resolveMixerOptions('attention', { bias: 'yes' })).toThrow(
      'option "bias" of mixer attention must be a boolean, got string "yes"',
    );
    expect(() => resolveMixerOptions('attention', { qkvDim: '64' })).toThrow(
      'option "qkvDim" of mixer attention must be a number or null, got string "64"',
    );
    expect(() => resolveMixerOptions('attention', { qkvDim: Number.NaN })).toThrow('must be a number or null');
    expect(() => resolveMixerOptions('attention', { positions: 'alibi' })).toThrow(
      'option "positions" of mixer attention must be one of "none", "rope", got string "alibi"',
    );
    expect(() => resolveMixerOptions('nope', {})).toThrow('unknown mixer "nope"');
  });

  it('takes null for an option its mixer declares nullable, and only there', () => {
    expect(resolveMixerOptions('performer', { redrawEvery: null }).redrawEvery).toBeNull();
    expect(() => resolveMixerOptions('performer', { features: null })).toThrow('option "features" of mixer performer must be a finite number, got null');
  });
});

describe('mixer catalog', () => {
  it('lists every mixer with its parameter count at the given sizes', async () => {
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const rows = listMixers({ dModel: 16, heads: 4, seqLen: 33 });
    expect(tf.memory().numTensors).toBe(before);
    expect(rows.map((r) => r.name)).toEqual(mixerNames);
    expect(rows.find((r) => r.name === 'attention')).toEqual({
      name: 'attention',
      title: attention.title,
      paper: attention.paper,
      kind: 'attention',
      block: 'pre-ln',
      defaults: { qkvDim: null, positions: 'none', bias: false, implementation: 'auto', blockSize: null, keyBlockSize: null, impl: 'clean' },
      params: 4 * 16 * 16,
      problem: null,
    });
    const odd = listMixers({ dModel: 16, heads: 3, seqLen: 33 }).find((r) => r.name === 'attention');
    expect(odd).toMatchObject({ params: null, problem: 'qkvDim 16 is not divisible by 3 heads' });
  });
});
