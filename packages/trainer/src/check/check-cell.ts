// One cell of `lra check`: a task's model at a preset with one mixer, built, planned and trained
// for a few steps on synthetic full-length batches; what it needs, how long a step takes, and
// how long the whole run would.
import { getTask } from '@lra/data';
import { createClassifier, selectBackend, trainingContext, type ExampleSlice } from '@lra/models';
import { resolveConfig } from '../config/resolve.js';
import type { BackendRequest } from '../config/types.js';
import { etaSeconds } from '../plan/eta.js';
import { memoryLimit } from '../plan/memory-limit.js';
import { planMemory } from '../plan/memory-plan.js';
import { StepMemoryError } from '../plan/out-of-memory.js';
import { mixersForTask } from '../report/mixer-params.js';
import { classifierConfig, runSeqLen } from '../train/model-config.js';
import { AdamW } from '../train/optimizer.js';
import { sliceBatch } from '../train/micro-batches.js';
import { trainStep } from '../train/step.js';
import { OFFICIAL_EVAL_SIZES } from './official-sizes.js';
import { syntheticBatch } from './synthetic-batch.js';

export type CheckStatus = 'ok' | 'skipped' | 'does not fit' | 'failed';

export interface CheckCellResult {
  task: string;
  mixer: string;
  preset: string;
  /** 'block' when the cell was measured with activation recomputation (it did not fit without). */
  recompute: 'none' | 'block';
  backend: string | null;
  params: number | null;
  ratioToTransformer: number | null;
  microBatch: number | null;
  passes: number | null;
  predictedPeakBytes: number | null;
  /** The highest peak over the steps run (null when none ran). */
  measuredPeakBytes: number | null;
  /**
   * The last step's time ('measured'); or, where whole steps would overrun the budget, a step of
   * two micro-batches scaled to the whole batch's passes ('passes'); the planner's probe (its
   * pass over 2 examples, scaled to the batch) where no step finished in time ('probe').
   */
  msPerStep: number | null;
  msPerStepSource: 'measured' | 'passes' | 'probe' | null;
  /** The whole run at the preset's steps, evaluations included. */
  etaSeconds: number | null;
  stepsRun: number;
  status: CheckStatus;
  reason: string | null;
  wallSeconds: number;
}

export interface CheckCellRequest {
  task: string;
  mixer: string;
  preset: string;
  backend: BackendRequest;
  /** Training steps to run (the first is the warm-up; the last one's time is reported). */
  steps: number;
  /** Steps are run only when the probe predicts they finish within this many ms. */
  budgetMs: number;
  /** The memory a step may hold; default the backend's (memoryLimit). */
  limitBytes?: number;
  /** Build the model with model.recompute 'block' (activations recomputed in the backward pass). */
  recompute?: boolean;
}

export function emptyCell(req: Pick<CheckCellRequest, 'task' | 'mixer' | 'preset' | 'recompute'>, status: CheckStatus, reason: string, wallSeconds = 0): CheckCellResult {
  return {
    task: req.task, mixer: req.mixer, preset: req.preset, recompute: req.recompute ? 'block' : 'none', backend: null, params: null, ratioToTransformer: null,
    microBatch: null, passes: null, predictedPeakBytes: null, measuredPeakBytes: null, msPerStep: null, msPerStepSource: null,
    etaSeconds: null, stepsRun: 0, status, reason, wallSeconds,
  };
}

/**
 * `onPlanned` receives the row as the plan leaves it (the probe's step time and its ETA), before
 * any step: what a cell stopped during its steps still tells.
 */
export async function runCheckCell(req: CheckCellRequest, onPlanned?: (row: CheckCellResult) => void): Promise<CheckCellResult> {
  const started = performance.now();
  const wall = () => (performance.now() - started) / 1000;
  const { config } = resolveConfig({ task: req.task, mixer: req.mixer, preset: req.preset, ...(req.recompute ? { sets: ['model.recompute=block'] } : {}) });
  const task = getTask(req.task);
  const modelConfig = classifierConfig(config, task);
  const backend = await selectBackend(req.backend);
  const counts = mixersForTask(req.task, req.preset).find((m) => m.name === req.mixer);
  const base = { ...emptyCell(req, 'ok', ''), reason: null, backend: backend.name, params: counts?.modelParams ?? null, ratioToTransformer: counts?.ratioToTransformer ?? null };

  const model = createClassifier(modelConfig, 1);
  const optimizer = new AdamW(model.params.variables(), {
    beta1: config.train.beta1, beta2: config.train.beta2, eps: config.train.eps, weightDecay: config.train.weightDecay, gradClipNorm: config.train.gradClipNorm,
  });
  try {
    const batch = syntheticBatch({
      size: config.train.batchSize, seqLen: runSeqLen(config, task), vocabSize: task.vocabSize, numClasses: task.numClasses, pair: task.pair, seed: `check/${req.task}`,
    });
    const context = (step: number) => (slice?: ExampleSlice) => trainingContext(1, step, slice);
    let plan;
    try {
      plan = await planMemory({ model, batch, context: context(0), requested: config.train.microBatch ?? 'auto', limit: memoryLimit(backend.tfjsBackend, req.limitBytes) });
    } catch (error) {
      if (error instanceof StepMemoryError) return { ...base, status: 'does not fit', predictedPeakBytes: Number.isFinite(error.needBytes) ? error.needBytes : null, reason: error.message, wallSeconds: wall() };
      throw error;
    }
    const sizes = OFFICIAL_EVAL_SIZES[req.task] ?? { val: 0, test: 0 };
    const valExamples = config.train.evalBatches === null ? sizes.val : Math.min(sizes.val, config.train.evalBatches * config.train.evalBatchSize);
    const eta = (ms: number) =>
      etaSeconds(ms, { stepsLeft: config.train.steps, batchSize: config.train.batchSize, evaluationsLeft: Math.floor(config.train.steps / config.train.evalEvery), valExamples, testExamples: sizes.test });
    const planned = { ...base, microBatch: plan.microBatch, passes: plan.passes, predictedPeakBytes: plan.predictedPeakBytes };
    onPlanned?.({ ...planned, status: 'skipped', reason: 'planned; no step finished', msPerStep: plan.probeMsPerStep, msPerStepSource: 'probe', etaSeconds: eta(plan.probeMsPerStep), wallSeconds: wall() });
    // Whole steps where they fit the budget; otherwise steps of two micro-batches, which hold what
    // a whole step holds (a pass with the summed gradients alive, then the update) in 2 passes.
    // A cell too slow even for that is stopped by its process's timeout, and its row says so.
    const whole = plan.probeMsPerStep * req.steps <= req.budgetMs || plan.passes <= 2;
    const stepBatch = whole ? batch : sliceBatch(batch, 0, 2 * plan.microBatch);
    const passesRun = Math.ceil(stepBatch.size / plan.microBatch);
    let measuredPeak = 0;
    let lastMs = Number.NaN;
    for (let step = 0; step < req.steps; step++) {
      const t0 = performance.now();
      const result = await trainStep(model, optimizer, stepBatch, 1e-4, context(step), 1, plan.microBatch);
      lastMs = performance.now() - t0;
      measuredPeak = Math.max(measuredPeak, result.peakBytes);
    }
    const msPerStep = whole ? lastMs : (lastMs * plan.passes) / passesRun;
    return {
      ...planned, measuredPeakBytes: measuredPeak, msPerStep, msPerStepSource: whole ? 'measured' : 'passes', etaSeconds: eta(msPerStep), stepsRun: req.steps, wallSeconds: wall(),
    };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
