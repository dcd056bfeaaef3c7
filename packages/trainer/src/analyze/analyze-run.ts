// `lra analyze`: a trained run's best checkpoint, probed layer by layer on batches of one of its
// data splits (drawn exactly as evaluation draws them), summarised as JSON-ready numbers.
import { existsSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { evalBatches, type SplitName } from '@lra/data';
import { ModelAnalyzer, type LayerAnalysis, type ResponseMethod } from '@lra/models';
import { toTensors } from '../train/batch-tensors.js';
import { runSeqLen } from '../train/model-config.js';
import { openRun } from '../train/open-run.js';
import type { Logger } from '../util/logger.js';
import { deriveSeed } from '../util/seeds.js';

export interface AnalyzeRunOptions {
  run: string;
  split: SplitName;
  /** Batches of the split to analyse. */
  batches: number;
  backend?: string;
  /** Examples of the first batch whose Jacobian columns are taken (default 2). */
  responseExamples?: number;
  /** Impulse positions per such example (default 3). */
  positionsPerExample?: number;
  method?: 'auto' | ResponseMethod;
  log: Logger;
}

export interface RunAnalysis {
  run: string;
  task: string;
  mixer: string;
  split: SplitName;
  checkpoint: { file: string; step: number };
  backend: string;
  model: { dModel: number; heads: number; layers: number; seqLen: number; mixerOptions: Record<string, unknown> };
  /** The run's own test accuracy (report.json), when it finished. */
  testAccuracy: number | null;
  /** Accuracy on the analysed batches. */
  accuracy: number | null;
  examples: number;
  batches: number;
  batchSize: number;
  layers: LayerAnalysis[];
}

/**
 * Examples per batch: the run's evaluation batch size, lowered for long sequences so that one
 * batch's attention weights (examples x N^2 per head) stay near 2^24 numbers.
 */
export function analysisBatchSize(evalBatchSize: number, length: number): number {
  return Math.max(1, Math.min(evalBatchSize, Math.floor(2 ** 24 / (length * length))));
}

export async function analyzeRun(opts: AnalyzeRunOptions): Promise<RunAnalysis> {
  if (!(Number.isInteger(opts.batches) && opts.batches >= 1)) throw new Error(`--batches must be a positive integer, got ${opts.batches}`);
  const { files, config, task, splits, backend, model, checkpoint } = await openRun(opts);
  const seqLen = runSeqLen(config, task);
  try {
    const batchSize = analysisBatchSize(config.train.evalBatchSize, seqLen + (config.model.pool === 'cls' ? 1 : 0));
    const analyzer = new ModelAnalyzer(model, {
      responseExamples: opts.responseExamples ?? 2,
      positionsPerExample: opts.positionsPerExample ?? 3,
      method: opts.method ?? 'auto',
      seed: deriveSeed(config.seed, 'analysis'),
    });
    let done = 0;
    for (const batch of evalBatches(splits[opts.split], { batchSize, seqLen, dropRemainder: task.pair })) {
      if (done >= opts.batches) break;
      // toTensors only creates tensors, so no tidy is needed around it.
      const tensors = toTensors(batch);
      try {
        analyzer.addBatch(tensors.tokens2 ? { tokens: tensors.tokens, tokens2: tensors.tokens2 } : { tokens: tensors.tokens }, batch.labels.subarray(0, batch.size));
      } finally {
        tf.dispose([tensors.tokens, tensors.labels, ...(tensors.tokens2 ? [tensors.tokens2] : [])]);
      }
      done += 1;
      opts.log.info({ batch: done, of: opts.batches }, `analysed batch ${done}/${opts.batches}`);
    }
    const summary = analyzer.summary();
    let testAccuracy: number | null = null;
    if (existsSync(files.report)) {
      const report = JSON.parse(readFileSync(files.report, 'utf8')) as { metrics?: { test?: { accuracy?: number } } };
      testAccuracy = report.metrics?.test?.accuracy ?? null;
    }
    return {
      run: opts.run,
      task: config.task,
      mixer: config.mixer,
      split: opts.split,
      checkpoint,
      backend: backend.name,
      model: { dModel: config.model.dModel, heads: config.model.heads, layers: config.model.layers, seqLen, mixerOptions: config.model.mixerOptions },
      testAccuracy,
      accuracy: summary.accuracy,
      examples: summary.examples,
      batches: summary.batches,
      batchSize,
      layers: summary.layers,
    };
  } finally {
    model.dispose();
  }
}
