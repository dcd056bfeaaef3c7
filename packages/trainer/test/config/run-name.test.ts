import { join } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { changeTag, changedLeaves } from '../../src/config/run-name.js';

const outOf = (req: Parameters<typeof resolveConfig>[0]) => resolveConfig(req).config.out;

describe('default run directory', () => {
  it('is task-mixer-preset-seed when nothing is changed', () => {
    expect(outOf({ task: 'listops', mixer: 'attention', preset: 'tiny' })).toBe(join('runs', 'listops-attention-tiny-s1'));
    expect(outOf({ task: 'listops', mixer: 'attention', preset: 'tiny', seed: 3, backend: 'wasm', dataDir: '/tmp/d' })).toBe(
      join('runs', 'listops-attention-tiny-s3'),
    );
  });

  it('names the settings a command changes, so the README tour never overwrites a run', () => {
    const first = outOf({ task: 'listops', mixer: 'attention', preset: 'tiny' });
    const second = outOf({ task: 'listops', mixer: 'attention', preset: 'tiny', sets: ['train.lr=0.02', 'model.layers=3'] });
    const third = outOf({ task: 'listops', mixer: 'attention', preset: 'tiny', steps: 200 });
    expect(second).toBe(join('runs', 'listops-attention-tiny-layers3-lr0.02-s1'));
    expect(third).toBe(join('runs', 'listops-attention-tiny-steps200-s1'));
    expect(new Set([first, second, third]).size).toBe(3);
  });

  it('is the same for the same settings however they are said, and ignores a --set equal to the preset', () => {
    const a = outOf({ task: 'listops', mixer: 'attention', preset: 'tiny', steps: 200 });
    const b = outOf({ task: 'listops', mixer: 'attention', preset: 'tiny', sets: ['train.steps=200'] });
    expect(a).toBe(b);
    const tinyLayers = resolveConfig({ task: 'listops', mixer: 'attention', preset: 'tiny' }).config.model.layers;
    expect(outOf({ task: 'listops', mixer: 'attention', preset: 'tiny', sets: [`model.layers=${tinyLayers}`] })).toBe(
      join('runs', 'listops-attention-tiny-s1'),
    );
  });

  it('names an experiment file by its stem and then what the command changes on top of it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lra-name-'));
    const file = join(dir, 'wide heads.json');
    writeFileSync(file, JSON.stringify({ model: { heads: 8 } }));
    expect(outOf({ task: 'listops', mixer: 'attention', preset: 'tiny', configFile: file })).toBe(join('runs', 'listops-attention-tiny-wide_heads-s1'));
    expect(outOf({ task: 'listops', mixer: 'attention', preset: 'tiny', configFile: file, steps: 5 })).toBe(
      join('runs', 'listops-attention-tiny-wide_heads-steps5-s1'),
    );
  });

  it('hashes changes that would make an unreadable name, and different changes hash apart', () => {
    const sets = (v: string) => ['model.mixerOptions.qkvDim=32', `train.lr=${v}`, 'model.dropout=0.25', 'train.warmup=17', 'train.weightDecay=0.003'];
    const a = outOf({ task: 'listops', mixer: 'attention', preset: 'tiny', sets: sets('0.001') });
    const b = outOf({ task: 'listops', mixer: 'attention', preset: 'tiny', sets: sets('0.002') });
    expect(a).toMatch(/listops-attention-tiny-cfg[0-9a-f]{8}-s1$/);
    expect(a).not.toBe(b);
  });

  it('keeps an explicit --out', () => {
    expect(outOf({ task: 'listops', mixer: 'attention', preset: 'tiny', steps: 3, out: 'runs/mine' })).toBe('runs/mine');
  });
});

describe('changeTag', () => {
  it('spells two changes with the same leaf name by their paths', () => {
    expect(changeTag(changedLeaves({ a: { x: 1 }, b: { x: 2 } }, { a: { x: 3 }, b: { x: 4 } }))).toBe('a_x3-b_x4');
  });
  it('hashes arrays and objects', () => {
    expect(changeTag([['model.grid', [32, 32]]])).toMatch(/^cfg[0-9a-f]{8}$/);
  });
});
