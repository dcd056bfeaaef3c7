import { describe, expect, expectTypeOf, it } from 'vitest';
import { attention } from '../../src/mixers/attention.js';
import { implementationsOf, listMixers } from '../../src/mixers/catalog.js';
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

  it("registers LRA's Table 1 models that exist only as LRA's code (the lra-table group)", () => {
    for (const name of ['sparse-transformer', 'longformer', 'sinkhorn', 'synthesizer']) {
      expect(isMixerName(name), name).toBe(true);
      expect(getMixer(name).kind).toBe('attention');
      expect(getMixer(name).choices).toMatchObject({ impl: ['lra'] });
    }
    expectTypeOf<'sparse-transformer' | 'longformer' | 'sinkhorn' | 'synthesizer'>().toMatchTypeOf<MixerName>();
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
      implementations: implementationsOf(attention),
    });
    const odd = listMixers({ dModel: 16, heads: 3, seqLen: 33 }).find((r) => r.name === 'attention');
    expect(odd).toMatchObject({ params: null, problem: 'qkvDim 16 is not divisible by 3 heads' });
  });
});

describe('mixer implementations', () => {
  it("come from a spec's impl choices: clean only without them", () => {
    expect(implementationsOf({})).toEqual(['clean']);
    expect(implementationsOf({ choices: { mode: ['a', 'b'] } })).toEqual(['clean']);
    // A spec offering both, as the mixers with an LRA-code variant do.
    const both = { ...attention, defaults: { ...attention.defaults, impl: 'clean' }, choices: { ...attention.choices, impl: ['clean', 'lra'] } };
    expect(implementationsOf(both)).toEqual(['clean', 'lra']);
    expect(implementationsOf({ choices: { impl: ['lra'] } })).toEqual(['lra']);
  });

  it('are listed for every mixer, lra only for the ports of LRA-only models', async () => {
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    const rows = listMixers({ dModel: 16, heads: 4, seqLen: 100 });
    for (const row of rows) expect(row.implementations).toEqual(implementationsOf(mixers[row.name as MixerName]));
    for (const name of ['sparse-transformer', 'longformer', 'sinkhorn', 'synthesizer']) {
      const row = rows.find((r) => r.name === name)!;
      expect(row.implementations).toEqual(['lra']);
      expect(row.params, name).toBeGreaterThan(0);
      expect(row.problem).toBeNull();
    }
    // Lengths off Sinkhorn's blocks (2001: CLS and 2000 tokens) are taken too.
    const odd = listMixers({ dModel: 16, heads: 4, seqLen: 2001 }).find((r) => r.name === 'sinkhorn');
    expect(odd).toMatchObject({ params: 4 * 16 * 16 + 4 * 25, problem: null });
  });

  it("count LRA's parameters: the Longformer's global projections and the Synthesizer's [H, N, N] matrix", async () => {
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    const rows = listMixers({ dModel: 16, heads: 4, seqLen: 100 });
    const params = (name: string) => rows.find((r) => r.name === name)!.params;
    expect(params('sparse-transformer')).toBe(4 * 16 * 16);
    expect(params('longformer')).toBe(7 * 16 * 16);
    expect(params('synthesizer')).toBe(4 * 16 * 16 + 4 * 100 * 100);
    // The sort net maps a head's 4 channels to 25 outputs.
    expect(params('sinkhorn')).toBe(4 * 16 * 16 + 4 * 25);
  });
});
