import type { SplitName } from '@lra/data';
import type { BackendChoice } from '@lra/models';
import type { Logger } from '../util/logger.js';
import { majorityRate } from '../util/stats.js';
import { evaluate } from './evaluate.js';
import { runSeqLen } from './model-config.js';
import { openRun } from './open-run.js';

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
  const { config, task, splits, backend, model, checkpoint } = await openRun(opts);
  try {
    const data = splits[opts.split];
    const result = await evaluate(model, data, { batchSize: config.train.evalBatchSize, seqLen: runSeqLen(config, task), maxBatches: null, dropRemainder: task.pair });
    return {
      run: opts.run,
      task: config.task,
      mixer: config.mixer,
      split: opts.split,
      checkpoint,
      ...result,
      majorityRate: majorityRate(data.labels),
      backend: backend.name,
      backendInfo: backend,
    };
  } finally {
    model.dispose();
  }
}
