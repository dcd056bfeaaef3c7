import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSweepSpec, readSweepFile } from '../../src/sweep/spec.js';
import { tempDir } from './helpers.js';

const base = { tasks: ['listops'], mixers: ['attention'], seeds: [1], root: 'results/a' };
const parse = (over: Record<string, unknown>) => () => parseSweepSpec({ ...base, ...over }, 'sweeps/a.json');

describe('sweep file checking', () => {
  it('fills the defaults: preset lra, one override set "base", no extra flags', () => {
    expect(parseSweepSpec({ ...base, description: 'for people', $comment: 'ignored' }, 'a.json')).toEqual({
      tasks: ['listops'],
      variants: [{ mixer: 'attention', override: { name: 'base', set: [], config: null }, axes: null, anchor: false }],
      seeds: [1],
      preset: 'lra',
      root: 'results/a',
      steps: null,
      backend: null,
      dataDir: null,
      config: null,
      grid: null,
    });
  });

  it('rejects unknown keys at the top and in an override set, naming the file and the key', () => {
    expect(parse({ worker: 2 })).toThrow('sweeps/a.json: worker: unknown key (known here: tasks, mixers, seeds, preset, overrides, root, steps, backend, dataDir, config, grid, anchors)');
    expect(parse({ overrides: [{ name: 'a', sets: [] }] })).toThrow('sweeps/a.json: overrides[0].sets: unknown key (known here: name, set, config)');
  });

  it('checks an override config against the config schema', () => {
    expect(parse({ overrides: [{ name: 'a', config: { train: { learningRate: 1 } } }] })).toThrow(
      'sweeps/a.json: overrides[0].config: train.learningRate: unknown key',
    );
    expect(parse({ overrides: [{ name: 'a', config: { model: { layers: 'two' } } }] })).toThrow('model.layers: expected an integer, got string "two"');
    expect(parse({ overrides: [{ name: 'a', config: { seed: 3 } }] })).toThrow('overrides[0].config: task, mixer, seed and out are chosen by the sweep');
  });

  it('rejects missing, empty and repeated lists, seed 0 and names that are not one folder', () => {
    expect(() => parseSweepSpec({ tasks: ['listops'], mixers: ['attention'], seeds: [1] }, 'a.json')).toThrow('a.json: root: missing');
    expect(parse({ mixers: [] })).toThrow('mixers: must not be empty');
    expect(parse({ seeds: [1, 2, 1] })).toThrow('seeds: lists 1 twice');
    expect(parse({ seeds: [0] })).toThrow('seeds[0]: expected an integer >= 1, got number 0');
    expect(parse({ seeds: [1.5] })).toThrow('seeds[0]: expected an integer >= 1');
    expect(parse({ mixers: ['../up'] })).toThrow("mixers[0]: expected a name of letters, digits, '.', '_' or '-', got string \"../up\"");
    expect(parse({ overrides: [{ name: 'a' }, { name: 'a' }] })).toThrow('overrides (names): lists "a" twice');
    expect(parse({ overrides: [{ name: 'a/b' }] })).toThrow('overrides[0].name: expected a name');
    expect(parse({ overrides: [{ name: 'a', set: ['train.lr'] }] })).toThrow('overrides[0].set[0]: expected "key=value"');
  });

  it('checks the preset, steps and backend', () => {
    expect(parse({ preset: 'huge' })).toThrow('preset: expected one of lra, small, tiny, got string "huge"');
    expect(parse({ steps: 0 })).toThrow('steps: expected an integer >= 1, got number 0');
    expect(parse({ backend: 'gpu' })).toThrow('backend: expected one of auto, tensorflow, webgpu, wasm, cpu');
  });

  it('reads a file, and names it when it is missing or not JSON', () => {
    const dir = tempDir('spec');
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ ...base, steps: 10 }));
    const file = readSweepFile(good);
    expect(file.spec.steps).toBe(10);
    expect(JSON.parse(file.text)).toEqual({ ...base, steps: 10 });
    expect(() => readSweepFile(join(dir, 'none.json'))).toThrow(`${join(dir, 'none.json')}: file not found`);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"tasks": [');
    expect(() => readSweepFile(bad)).toThrow(`${bad}: not valid JSON`);
  });
});
