import type { TaskSpec } from '@lra/data';
import type { ClassifierConfig } from '@lra/models';
import { ConfigError } from '../config/schema.js';
import type { ExperimentConfig } from '../config/types.js';

/** The sequence length a run trains at: the config's override or the task's official length. */
export function runSeqLen(config: ExperimentConfig, task: TaskSpec): number {
  return config.data.seqLen ?? task.seqLen;
}

/** The id of grey level 0, which data.zeroIsPadding masks; an error for tasks without one. */
export function zeroValueIdOf(task: TaskSpec): number {
  if (task.zeroValueId === undefined) {
    throw new ConfigError('data.zeroIsPadding', `task ${task.name} has no token for the value 0 (only image tasks do: image, pathfinder, pathx)`);
  }
  return task.zeroValueId;
}

/** The model description the encoder takes, from the experiment config and the task. */
export function classifierConfig(config: ExperimentConfig, task: TaskSpec): ClassifierConfig {
  const m = config.model;
  const out: ClassifierConfig = {
    vocabSize: task.vocabSize,
    seqLen: runSeqLen(config, task),
    numClasses: task.numClasses,
    dModel: m.dModel,
    heads: m.heads,
    layers: m.layers,
    mlpDim: m.mlpDim,
    dropout: m.dropout,
    attentionDropout: m.attentionDropout,
    pool: m.pool,
    positions: m.positions,
    mixer: config.mixer as ClassifierConfig['mixer'],
    mixerOptions: m.mixerOptions,
    pair: task.pair,
    pairInteraction: m.pairInteraction,
  };
  if (m.block !== null) out.block = m.block;
  if (m.backbone) out.backbone = m.backbone;
  if (m.norm) out.norm = m.norm;
  if (m.head) out.head = m.head;
  if (typeof m.batchNormMomentum === 'number') out.batchNormMomentum = m.batchNormMomentum;
  if (m.tieDropout) out.tieDropout = true;
  if (m.decayGroups) out.decayGroups = m.decayGroups;
  if (m.encoder === 'linear') {
    if (task.zeroValueId === undefined) throw new ConfigError('model.encoder', `"linear" reads pixel values: task ${task.name} has none`);
    // Grey level g is id zeroValueId + g; torchvision's ToTensor gives g / 255.
    out.encoder = 'linear';
    out.tokenValues = { offset: task.zeroValueId, scale: 1 / 255, mean: m.inputMean ?? 0, std: m.inputStd ?? 1 };
  }
  if (m.classifierHidden !== null) out.classifierHidden = m.classifierHidden;
  if (m.reversible) out.reversible = true;
  if (m.recompute === 'block') out.recompute = 'block';
  if (config.data.zeroIsPadding) out.paddingIds = [0, zeroValueIdOf(task)];
  return out;
}
