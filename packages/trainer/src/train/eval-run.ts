import { existsSync, readFileSync } from 'node:fs';
import { ensureTaskData, getTask, type SplitName } from '@lra/data';
import { createClassifier, selectBackend, type BackendChoice } from '@lra/models';
import type { ExperimentConfig } from '../config/types.js';
import type { Logger } from '../util/logger.js';
import { deriveSeed } from '../util/seeds.js';
import { majorityRate } from '../util/stats.js';
import { readCheckpoint } from './checkpoint.js';
import { evaluate } from './evaluate.js';
import { classifierConfig, runSeqLen } from './model-config.js';
import { restoreParams } from './run.js';
import { RunFiles } from './run-files.js';

export interface EvalRunResult {
  run: string;
  task: string;
  mixer: string;
  split: SplitName;
  checkpoint: { file: string; step: number };
  accuracy: number;
  loss: number;
  count: number;
  majorityRate: number;
  backend: string;
  backendInfo: BackendChoice;
}

/** Evaluates a finished (or interrupted) run's best checkpoint on a split. */
export async function evaluateRun(opts: { run: string; split: SplitName; backend?: string; log: Logger }): Promise<EvalRunResult> {
  const files = new RunFiles(opts.run);
  if (!existsSync(files.config)) throw new Error(`${opts.run}: no config.json here: not a run directory`);
  const file = existsSync(files.bestCheckpoint) ? files.bestCheckpoint : files.lastCheckpoint;
  if (!existsSync(file)) throw new Error(`${opts.run}: no checkpoint yet (checkpoints/best.ckpt)`);
  const config = JSON.parse(readFileSync(files.config, 'utf8')) as ExperimentConfig;
  const backend = await selectBackend((opts.backend ?? config.backend) as ExperimentConfig['backend'], {
    log: (msg, fields) => opts.log.info(fields ?? {}, msg),
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
    const data = splits[opts.split];
    const result = await evaluate(model, data, { batchSize: config.train.evalBatchSize, seqLen: runSeqLen(config, task), maxBatches: null, dropRemainder: task.pair });
    return {
      run: opts.run,
      task: config.task,
      mixer: config.mixer,
      split: opts.split,
      checkpoint: { file, step: ckpt.meta.step },
      ...result,
      majorityRate: majorityRate(data.labels),
      backend: backend.name,
      backendInfo: backend,
    };
  } finally {
    model.dispose();
  }
}
