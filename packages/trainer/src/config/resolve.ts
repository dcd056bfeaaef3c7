import { getTask } from '@lra/data';
import { getMixer } from '@lra/models';
import { lraExperimentPath, readExperimentFile } from './experiment-file.js';
import { deepMerge, parseSet } from './merge.js';
import { commonDefaults, presetFor } from './presets.js';
import { defaultRunDir } from './run-name.js';
import { ConfigError, checkComplete, checkPartial } from './schema.js';

export { readExperimentFile } from './experiment-file.js';
import type { BackendRequest, ExperimentConfig } from './types.js';

export interface ResolveRequest {
  task: string;
  mixer: string;
  preset?: string;
  /** An experiment file (JSON, a partial config). */
  configFile?: string;
  /** `--set key=value` assignments, applied last. */
  sets?: readonly string[];
  /** Command-line shorthands: applied after the experiment file, before --set. */
  steps?: number;
  seed?: number;
  backend?: BackendRequest;
  dataDir?: string;
  out?: string;
}

export interface ResolvedConfig {
  config: ExperimentConfig;
  /** Where each layer came from, in the order applied: for the log and the report. */
  layers: string[];
}

/**
 * Layers the config: LRA base <- preset <- experiment file <- command-line shorthands <- --set.
 * The result is complete and valid, or a ConfigError names the key and the layer at fault.
 */
export function resolveConfig(req: ResolveRequest): ResolvedConfig {
  // Unknown names fail here, with the known ones listed, before anything else is read.
  getTask(req.task);
  getMixer(req.mixer);
  const preset = req.preset ?? 'lra';
  const layers: string[] = ['defaults', `preset ${preset}`];
  let config: unknown = { ...commonDefaults(), task: req.task, mixer: req.mixer, preset, out: '' };
  const presetLayer = presetFor(req.task, preset);
  checkPartial(presetLayer, `preset ${preset}`);
  config = deepMerge(config, presetLayer);

  const file = req.configFile ?? (preset === 'lra' ? lraExperimentPath(req.task, req.mixer) : null);
  if (file) {
    config = deepMerge(config, readExperimentFile(file));
    layers.push(file);
  }
  // What the preset (and experiment file) say; the user's flags and --set below rename the run.
  const baseline = config;

  const flags: Record<string, unknown> = {};
  if (req.steps !== undefined) flags.train = { steps: req.steps };
  if (req.seed !== undefined) flags.seed = req.seed;
  if (req.backend !== undefined) flags.backend = req.backend;
  if (req.dataDir !== undefined) flags.data = { dataDir: req.dataDir };
  if (req.out !== undefined) flags.out = req.out;
  if (Object.keys(flags).length > 0) {
    checkPartial(flags, 'command line');
    config = deepMerge(config, flags);
    layers.push('command line');
  }
  for (const assignment of req.sets ?? []) {
    config = deepMerge(config, parseSet(assignment));
    layers.push(`--set ${assignment}`);
  }

  const c = config as ExperimentConfig;
  if (c.task !== req.task || c.mixer !== req.mixer)
    throw new ConfigError(c.task !== req.task ? 'task' : 'mixer', 'is chosen with --task/--mixer, not inside a config');
  // false is the absence of the option: one config, one hash, one run name, whichever way it was said.
  if (c.model?.reversible === false) delete c.model.reversible;
  if (c.model?.tieDropout === false) delete c.model.tieDropout;
  for (const key of ['backbone', 'norm', 'head', 'batchNormMomentum', 'encoder', 'inputMean', 'inputStd', 'decayGroups'] as const) if (c.model?.[key] === null) delete c.model[key];
  if (c.data?.zeroIsPadding === false) delete c.data.zeroIsPadding;
  if (!c.out) {
    c.out = defaultRunDir({ task: c.task, mixer: c.mixer, preset: c.preset, seed: c.seed, configFile: req.configFile, baseline, resolved: c });
  }
  checkComplete(c);
  checkConsistency(c);
  return { config: c, layers };
}

function checkConsistency(c: ExperimentConfig): void {
  // Both would ask the data layer for two data sets at once; say which keys, and how to drop one.
  if (c.data.source !== null && c.data.generator !== null)
    throw new ConfigError(
      'data.source',
      'and data.generator are both set: give one (data.source reads the official files, data.generator makes data); ' +
        'the preset may set data.generator: add --set data.generator=null to train on the official files',
    );
  if (c.data.zeroIsPadding && getTask(c.task).zeroValueId === undefined)
    throw new ConfigError('data.zeroIsPadding', `task ${c.task} has no token for the value 0 (only image tasks do: image, pathfinder, pathx)`);
  if (c.model.encoder === 'linear' && getTask(c.task).zeroValueId === undefined)
    throw new ConfigError('model.encoder', `"linear" reads pixel values: task ${c.task} has none (only image tasks do: image, pathfinder, pathx)`);
  if ((c.model.inputMean !== undefined || c.model.inputStd !== undefined) && c.model.encoder !== 'linear')
    throw new ConfigError(c.model.inputMean !== undefined ? 'model.inputMean' : 'model.inputStd', 'normalises the values of model.encoder "linear", which is not set');
  if (c.model.dModel % c.model.heads !== 0)
    throw new ConfigError('model.heads', `must divide model.dModel (${c.model.dModel} / ${c.model.heads} is not whole)`);
  if (c.train.warmup > 0 && c.train.schedule === 'constant' && c.train.warmup > c.train.steps)
    throw new ConfigError('train.warmup', `is longer than the run (${c.train.warmup} > ${c.train.steps} steps)`);
}
