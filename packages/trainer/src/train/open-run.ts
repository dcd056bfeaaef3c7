// What `lra eval` and `lra analyze` both start from: a run directory's resolved config, its data,
// the backend it asks for, and its model with the best checkpoint's weights (the last one when no
// validation has chosen a best yet).
import { existsSync, readFileSync } from 'node:fs';
import { ensureTaskData, getTask, type TaskData, type TaskSpec } from '@lra/data';
import { createClassifier, selectBackend, type BackendChoice, type Classifier } from '@lra/models';
import type { ExperimentConfig } from '../config/types.js';
import type { Logger } from '../util/logger.js';
import { deriveSeed } from '../util/seeds.js';
import { readCheckpoint } from './checkpoint.js';
import { classifierConfig } from './model-config.js';
import { restoreParams } from './run.js';
import { RunFiles } from './run-files.js';

export interface OpenedRun {
  files: RunFiles;
  config: ExperimentConfig;
  task: TaskSpec;
  splits: TaskData['splits'];
  backend: BackendChoice;
  /** The restored model: the caller disposes it. */
  model: Classifier;
  checkpoint: { file: string; step: number };
}

export async function openRun(opts: { run: string; backend?: string | undefined; threads?: number | undefined; log: Logger }): Promise<OpenedRun> {
  const files = new RunFiles(opts.run);
  if (!existsSync(files.config)) throw new Error(`${opts.run}: no config.json here: not a run directory`);
  const file = existsSync(files.bestCheckpoint) ? files.bestCheckpoint : files.lastCheckpoint;
  if (!existsSync(file)) throw new Error(`${opts.run}: no checkpoint yet (checkpoints/best.ckpt)`);
  const config = JSON.parse(readFileSync(files.config, 'utf8')) as ExperimentConfig;
  const backend = await selectBackend((opts.backend ?? config.backend) as ExperimentConfig['backend'], {
    log: (msg, fields) => opts.log.info(fields ?? {}, msg),
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
  });
  const task = getTask(config.task);
  const { splits } = await ensureTaskData({
    task: config.task,
    dataDir: config.data.dataDir,
    ...(config.data.source ? { source: config.data.source } : {}),
    ...(config.data.generator ? { generate: config.data.generator } : {}),
    skipBad: config.data.skipBad,
    log: (msg: string, fields?: object) => opts.log.info(fields ?? {}, msg),
  });
  const model = createClassifier(classifierConfig(config, task), deriveSeed(config.seed, 'init'));
  try {
    const ckpt = await readCheckpoint<{ step: number }>(file);
    restoreParams(model, ckpt.entries);
    return { files, config, task, splits, backend, model, checkpoint: { file, step: ckpt.meta.step } };
  } catch (error) {
    model.dispose();
    throw error;
  }
}
