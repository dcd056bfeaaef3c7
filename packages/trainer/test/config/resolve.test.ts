import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { ConfigError } from '../../src/config/schema.js';
import { parseSet } from '../../src/config/merge.js';

function tmpFile(name: string, body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lra-config-'));
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

describe('resolveConfig', () => {
  it('gives the LRA ListOps settings for the lra preset', () => {
    const { config } = resolveConfig({ task: 'listops', mixer: 'attention' });
    expect(config.model).toMatchObject({ dModel: 512, heads: 8, layers: 4, mlpDim: 1024, pool: 'cls' });
    expect(config.train).toMatchObject({ batchSize: 32, steps: 5000, lr: 0.05, schedule: 'rsqrt', warmup: 1000, weightDecay: 0.1, beta2: 0.98, eps: 1e-9 });
    expect(config.out).toBe(join('runs', 'listops-attention-lra-s1'));
  });

  it('layers preset <- file <- flags <- --set, in that order', () => {
    const file = tmpFile('exp.json', JSON.stringify({ description: 'x', train: { lr: 0.01, steps: 7 }, model: { layers: 3 } }));
    const { config, layers } = resolveConfig({
      task: 'listops',
      mixer: 'attention',
      preset: 'tiny',
      configFile: file,
      steps: 9,
      sets: ['train.lr=0.002', 'model.mixerOptions.qkvDim=32'],
    });
    expect(config.train.lr).toBe(0.002);
    expect(config.train.steps).toBe(9);
    expect(config.model.layers).toBe(3);
    expect(config.model.dModel).toBe(64); // from the tiny preset
    expect(config.model.mixerOptions).toEqual({ qkvDim: 32 });
    expect(layers).toEqual(['defaults', 'preset tiny', file, 'command line', '--set train.lr=0.002', '--set model.mixerOptions.qkvDim=32']);
  });

  it('rejects an unknown key in an experiment file, naming the file and the key', () => {
    const file = tmpFile('bad.json', JSON.stringify({ train: { learningRate: 0.1 } }));
    expect(() => resolveConfig({ task: 'listops', mixer: 'attention', configFile: file })).toThrow(
      `${file}: train.learningRate: unknown key (known here: batchSize, steps, lr,`,
    );
  });

  it('rejects unknown --set keys and wrong types', () => {
    expect(() => parseSet('train.bogus=1')).toThrow('--set: train.bogus: unknown key');
    expect(() => parseSet('train.lr=fast')).toThrow('--set: train.lr: expected a number, got string "fast"');
    expect(() => parseSet('model.pool=max')).toThrow('expected one of cls, mean, mean-all, first, got string "max"');
    expect(() => parseSet('seed=0')).toThrow('seed: must be >= 1, got 0');
    expect(() => parseSet('novalue')).toThrow('expected key=value');
  });

  it('rejects a file that is not JSON, or missing', () => {
    const file = tmpFile('broken.json', '{ "train": ');
    expect(() => resolveConfig({ task: 'listops', mixer: 'attention', configFile: file })).toThrow(/broken\.json: not valid JSON/);
    expect(() => resolveConfig({ task: 'listops', mixer: 'attention', configFile: '/nonexistent/x.json' })).toThrow('/nonexistent/x.json: file not found');
  });

  it('rejects an unknown preset and heads that do not divide the width', () => {
    expect(() => resolveConfig({ task: 'listops', mixer: 'attention', preset: 'huge' })).toThrow(ConfigError);
    expect(() => resolveConfig({ task: 'listops', mixer: 'attention', sets: ['model.heads=5'] })).toThrow('model.heads: must divide model.dModel');
  });
});
