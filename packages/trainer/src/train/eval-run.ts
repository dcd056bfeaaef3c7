import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

/**
 * Examples per forward pass: the micro-batch the run's planner chose (report.json), else an
 * explicit train.microBatch; a forward pass of that many fits wherever the run's training did.
 */
function evalMicroBatch(run: string, configured: number | 'auto' | undefined): number | undefined {
  try {
    const planned = (JSON.parse(readFileSync(join(run, 'report.json'), 'utf8')) as { plan?: { microBatch?: unknown } }).plan?.microBatch;
    if (typeof planned === 'number') return planned;
  } catch {
    // No report yet (an interrupted run): fall back to the config.
  }
  return typeof configured === 'number' ? configured : undefined;
}

/** Evaluates a finished (or interrupted) run's best checkpoint on a split. */
export async function evaluateRun(opts: { run: string; split: SplitName; backend?: string; threads?: number; log: Logger }): Promise<EvalRunResult> {
  const { config, task, splits, backend, model, checkpoint } = await openRun(opts);
  try {
    const data = splits[opts.split];
    const microBatch = evalMicroBatch(opts.run, config.train.microBatch);
    const result = await evaluate(model, data, {
      batchSize: config.train.evalBatchSize, seqLen: runSeqLen(config, task), maxBatches: null, dropRemainder: task.pair, ...(microBatch ? { microBatch } : {}),
    });
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
