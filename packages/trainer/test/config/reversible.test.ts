// model.reversible: from --set to the classifier, absent when false (old runs keep their hash and
// resume), and a run that trains with it, in less memory than the ordinary encoder.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getTask, type Batch } from '@lra/data';
import { createClassifier, selectBackend, trainingContext, validateClassifierConfig } from '@lra/models';
import { resolveConfig } from '../../src/config/resolve.js';
import { parseSet } from '../../src/config/merge.js';
import { configHash } from '../../src/report/config-hash.js';
import { classifierConfig } from '../../src/train/model-config.js';
import { AdamW } from '../../src/train/optimizer.js';
import { train } from '../../src/train/run.js';
import { trainStep } from '../../src/train/step.js';
import { silentLogger } from '../../src/util/logger.js';

const dataDir = mkdtempSync(join(tmpdir(), 'lra-reversible-data-'));
const generator = JSON.stringify({ counts: { train: 160, val: 32, test: 32 }, minLength: 8, maxLength: 48, seed: 5 });

function tinyRun(extra: string[]) {
  return resolveConfig({
    task: 'listops',
    mixer: 'attention',
    preset: 'tiny',
    dataDir,
    out: mkdtempSync(join(tmpdir(), 'lra-reversible-run-')),
    sets: [
      `data.generator=${generator}`,
      'data.seqLen=48',
      'backend=wasm',
      'model.dModel=32',
      'model.heads=2',
      'model.layers=4',
      'model.mlpDim=64',
      'train.batchSize=16',
      'train.steps=2',
      'train.warmup=2',
      'train.logEvery=2',
      'train.evalEvery=2',
      'train.evalBatchSize=32',
      ...extra,
    ],
  });
}

describe('model.reversible', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
    // The first training step of a process allocates a one-time extra (tens of MB on wasm): take
    // it here so that neither measured run carries it.
    const model = createClassifier(classifierConfig(tinyRun([]).config, getTask('listops')), 1);
    const optimizer = new AdamW(model.params.variables(), { beta1: 0.9, beta2: 0.98, eps: 1e-9, weightDecay: 0, gradClipNorm: null });
    const batch: Batch = { size: 2, seqLen: 48, tokens: new Int32Array(96).fill(3), labels: new Int32Array(2), indices: new Int32Array(2) };
    await trainStep(model, optimizer, batch, 1e-3, trainingContext(1, 0));
    optimizer.dispose();
    model.dispose();
  });

  it('reaches the classifier from --set', () => {
    const { config } = resolveConfig({ task: 'listops', mixer: 'attention', preset: 'tiny', sets: ['model.reversible=true'] });
    expect(config.model.reversible).toBe(true);
    const modelConfig = classifierConfig(config, getTask('listops'));
    expect(modelConfig.reversible).toBe(true);
    const model = createClassifier(modelConfig, 1);
    expect(model.config.reversible).toBe(true);
    model.dispose();
  });

  it('is absent unless true: an explicit false is the config without it, with the same hash', () => {
    const plain = resolveConfig({ task: 'listops', mixer: 'attention', preset: 'tiny' }).config;
    const off = resolveConfig({ task: 'listops', mixer: 'attention', preset: 'tiny', sets: ['model.reversible=false'] }).config;
    const on = resolveConfig({ task: 'listops', mixer: 'attention', preset: 'tiny', sets: ['model.reversible=true'] }).config;
    expect('reversible' in plain.model).toBe(false);
    expect(off).toEqual(plain);
    expect(configHash(off)).toBe(configHash(plain));
    expect(configHash(on)).not.toBe(configHash(plain));
    expect('reversible' in classifierConfig(plain, getTask('listops'))).toBe(false);
  });

  it('rejects a value that is not a boolean, and a mixer with no reversible form', () => {
    expect(() => parseSet('model.reversible=1')).toThrow('--set: model.reversible: expected true or false, got number 1');
    const { config } = resolveConfig({ task: 'listops', mixer: 'fnet', preset: 'tiny', sets: ['model.reversible=true'] });
    expect(() => validateClassifierConfig(classifierConfig(config, getTask('listops')))).toThrow(
      'reversible blocks need pre-ln blocks; these are post-ln (the default of mixer fnet)',
    );
  });

  it('trains a tiny run, at a lower peak memory than the ordinary encoder', async () => {
    const reversible = (await train({ resolved: tinyRun(['model.reversible=true']), log: silentLogger(), progress: false }))!;
    const ordinary = (await train({ resolved: tinyRun([]), log: silentLogger(), progress: false }))!;
    expect(reversible.config.model.reversible).toBe(true);
    expect(Number.isFinite(reversible.metrics.test.loss)).toBe(true);
    expect(reversible.metrics.test.loss).not.toBe(ordinary.metrics.test.loss);
    expect(reversible.params).toBe(ordinary.params);
    expect(reversible.memory.peakBytes).toBeLessThan(0.7 * ordinary.memory.peakBytes);
  });
});
