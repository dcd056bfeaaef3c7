import type { ExperimentConfig } from './types.js';
import type { Partial } from './merge.js';
import { lraExperimentPath, readExperimentFile } from './experiment-file.js';
import { ConfigError } from './schema.js';

export type PresetName = 'lra' | 'small' | 'tiny';
export const presetNames: readonly PresetName[] = ['lra', 'small', 'tiny'];

/** Settings shared by every task and preset (LRA's base config). */
const common: Omit<ExperimentConfig, 'task' | 'mixer' | 'preset' | 'out'> = {
  seed: 1,
  backend: 'auto',
  data: { dataDir: 'datasets', source: null, generator: null, seqLen: null, skipBad: false },
  model: {
    dModel: 128,
    heads: 4,
    layers: 2,
    mlpDim: 256,
    dropout: 0.1,
    attentionDropout: 0.1,
    pool: 'cls',
    positions: 'sinusoidal',
    block: null,
    classifierHidden: null,
    pairInteraction: 'concat',
    mixerOptions: {},
  },
  train: {
    batchSize: 32,
    steps: 5000,
    lr: 0.05,
    schedule: 'rsqrt',
    warmup: 1000,
    weightDecay: 0.1,
    beta1: 0.9,
    beta2: 0.98,
    eps: 1e-9,
    gradClipNorm: null,
    evalEvery: 500,
    evalBatches: null,
    evalBatchSize: 64,
    logEvery: 50,
    microBatch: 'auto',
  },
};

type TaskPresets = Record<Exclude<PresetName, 'lra'>, Partial<ExperimentConfig>>;

/**
 * The `lra` preset of a task is experiments/lra/<task>/base.json (LRA's published settings, with
 * where code and paper disagree said in the file). Here: `small`, which keeps the official
 * lengths with narrower models, and `tiny`, which finishes in minutes on a CPU.
 */
const byTask: Record<string, TaskPresets> = {
  listops: {
    small: {
      model: { dModel: 128, heads: 4, layers: 2, mlpDim: 256 },
      train: { steps: 2000, warmup: 500, lr: 0.05, evalEvery: 250, evalBatches: 16 },
    },
    tiny: {
      // Short generated expressions (the official grammar and operators, 16-64 tokens) so that a
      // small model learns something real in about three minutes on the wasm backend.
      data: {
        seqLen: 64,
        generator: { counts: { train: 20000, val: 1000, test: 1000 }, minLength: 16, maxLength: 64 },
      },
      model: { dModel: 64, heads: 4, layers: 2, mlpDim: 128, dropout: 0.1, attentionDropout: 0 },
      train: { batchSize: 32, steps: 1000, lr: 0.05, schedule: 'rsqrt', warmup: 300, weightDecay: 0.01, evalEvery: 250, logEvery: 25, evalBatchSize: 100 },
    },
  },
  text: {
    small: {
      data: { seqLen: 1000 },
      model: { dModel: 128, heads: 4, layers: 2, mlpDim: 256 },
      train: { steps: 3000, warmup: 1000, evalEvery: 500, evalBatches: 16 },
    },
    tiny: {
      data: { seqLen: 256 },
      model: { dModel: 64, heads: 4, layers: 1, mlpDim: 128 },
      train: { steps: 600, warmup: 150, evalEvery: 200, evalBatches: 8, weightDecay: 0.01 },
    },
  },
  retrieval: {
    small: {
      data: { seqLen: 1000 },
      model: { dModel: 64, heads: 4, layers: 2, mlpDim: 128 },
      train: { steps: 2000, warmup: 500, evalEvery: 250, evalBatches: 16 },
    },
    tiny: {
      data: { seqLen: 256 },
      model: { dModel: 32, heads: 2, layers: 1, mlpDim: 64 },
      train: { batchSize: 16, steps: 400, warmup: 100, evalEvery: 200, evalBatches: 8, weightDecay: 0.01 },
    },
  },
  image: {
    small: {
      model: { dModel: 64, heads: 4, layers: 1, mlpDim: 128, dropout: 0.3, attentionDropout: 0.2, positions: 'learned' },
      train: { batchSize: 64, steps: 3000, lr: 5e-4, schedule: 'cosine', warmup: 175, weightDecay: 0, evalEvery: 500, evalBatches: 16 },
    },
    tiny: {
      model: { dModel: 32, heads: 2, layers: 1, mlpDim: 64, dropout: 0.1, attentionDropout: 0, positions: 'learned' },
      train: { batchSize: 32, steps: 400, lr: 1e-3, schedule: 'cosine', warmup: 50, weightDecay: 0, evalEvery: 200, evalBatches: 8 },
    },
  },
  pathfinder: {
    // Without a source, the generator makes the task: 20,000 images for small, 4,000 for tiny.
    small: {
      data: { generator: { count: 20000 } },
      model: { dModel: 32, heads: 4, layers: 2, mlpDim: 64, pool: 'mean' },
      train: { batchSize: 64, steps: 3000, lr: 1e-3, schedule: 'cosine', warmup: 312, weightDecay: 0, evalEvery: 500, evalBatches: 16 },
    },
    tiny: {
      data: { generator: { count: 4000 } },
      model: { dModel: 32, heads: 2, layers: 1, mlpDim: 64, pool: 'mean' },
      // 1024 tokens: a batch of 8 keeps a softmax-attention step near a second on wasm.
      train: { batchSize: 8, steps: 300, lr: 1e-3, schedule: 'cosine', warmup: 30, weightDecay: 0, evalEvery: 100, evalBatches: 16, evalBatchSize: 32 },
    },
  },
  pathx: {
    small: {
      data: { generator: { count: 4000 } },
      model: { dModel: 32, heads: 4, layers: 2, mlpDim: 64, pool: 'mean' },
      train: { batchSize: 16, steps: 2000, lr: 1e-3, schedule: 'cosine', warmup: 312, weightDecay: 0, evalEvery: 500, evalBatches: 16 },
    },
    tiny: {
      data: { generator: { count: 400, imagesPerBatch: 200 } },
      model: { dModel: 16, heads: 2, layers: 1, mlpDim: 32, pool: 'mean' },
      train: { batchSize: 8, steps: 200, lr: 1e-3, schedule: 'cosine', warmup: 20, weightDecay: 0, evalEvery: 100, evalBatches: 4 },
    },
  },
};

export function commonDefaults(): Omit<ExperimentConfig, 'task' | 'mixer' | 'preset' | 'out'> {
  return structuredClone(common);
}

export function presetFor(task: string, preset: string): Partial<ExperimentConfig> {
  if (preset === 'lra') {
    const path = lraExperimentPath(task, 'base');
    if (!path) throw new ConfigError('task', `no LRA settings for task "${task}" (experiments/lra/${task}/base.json)`);
    return readExperimentFile(path) as Partial<ExperimentConfig>;
  }
  const presets = byTask[task];
  if (!presets) throw new ConfigError('task', `no presets for task "${task}"; known: ${Object.keys(byTask).join(', ')}`);
  if (!(presetNames as readonly string[]).includes(preset))
    throw new ConfigError('preset', `unknown preset "${preset}"; known: ${presetNames.join(', ')}`);
  return structuredClone(presets[preset as Exclude<PresetName, 'lra'>]);
}
