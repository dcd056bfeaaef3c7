import * as tf from '@tensorflow/tfjs';
import { type SplitData, SeededBatcher, getTask } from '@lra/data';
import { type Classifier, type ExampleSlice, createClassifier, trainingContext, validateClassifierConfig } from '@lra/models';
import type { ResolvedConfig } from '../config/resolve.js';
import type { ExperimentConfig } from '../config/types.js';
import { buildReport, type RunReport } from '../report/report.js';
import { writeRunSummary } from '../report/run-summary.js';
import { type MetricRecord, RunBoard } from '../tensorboard/run-board.js';
import { writeJsonAtomic } from '../util/atomic.js';
import type { Logger } from '../util/logger.js';
import { etaSeconds, type RunShape } from '../plan/eta.js';
import { memoryLimit } from '../plan/memory-limit.js';
import { planMemory, type MemoryPlan } from '../plan/memory-plan.js';
import { measuredLine, plannedLine } from '../plan/plan-lines.js';
import { isOutOfMemory, StepMemoryError } from '../plan/out-of-memory.js';
import { TrainingProgress } from '../util/progress.js';
import { percentiles } from '../util/stats.js';
import { deriveSeed } from '../util/seeds.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { BestSoFar, CheckpointMeta, WindowSums } from './checkpoint-meta.js';
import { CheckpointPolicy } from './checkpoint-policy.js';
import { evaluate, evaluationBatches, type EvalResult } from './evaluate.js';
import { classifierConfig, runSeqLen } from './model-config.js';
import { AdamW } from './optimizer.js';
import { type StartedRun, startRun } from './run-start.js';
import { type RunTiming, stepTimes, timingSnapshot } from './run-timing.js';
import { describePeakRate, learningRate } from './schedule.js';
import { trainStep } from './step.js';
import { RunInterrupted, StopRequest } from './stop-request.js';

export interface TrainOptions {
  resolved: ResolvedConfig;
  log: Logger;
  resume?: boolean;
  /** Delete a finished or started run in the run directory instead of refusing to. */
  overwrite?: boolean;
  /** Hash every cache file against its manifest, whatever its stamp says. */
  verify?: boolean;
  /** Show a terminal progress bar (default: when stderr is a terminal). */
  progress?: boolean;
  /** Threads of the wasm backend (default 1); the run's report records the threads it got. */
  threads?: number;
  /** Stop right after this step as if killed (for resume tests); no report is written. */
  stopAfterStep?: number;
  /** The command a stopped run is continued with (the CLI's own arguments with --resume). */
  resumeCommand?: string;
}

export type { BestSoFar } from './checkpoint-meta.js';

/** A loss that stopped being a number: the run stops with where and what came before. */
export class DivergedError extends Error {
  constructor(readonly step: number, readonly lastFinite: { step: number; loss: number } | null) {
    super(
      `loss is not finite at step ${step}` +
        (lastFinite ? `; last finite loss ${lastFinite.loss.toFixed(5)} at step ${lastFinite.step}` : '; no finite loss before it') +
        ' (lower train.lr, set train.gradClipNorm, or check the data)',
    );
    this.name = 'DivergedError';
  }
}

/** Speed is timed from this step of a process on, so compilation and warm-up do not count. */
const TIMING_WARMUP_STEPS = 3;

/** Step times the progress bar's ETA takes its median over. */
const ETA_WINDOW_STEPS = 50;

/** The longest gap between two checkpoints between validations (CheckpointPolicy). */
const DEFAULT_CHECKPOINT_MINUTES = 10;

export async function train(opts: TrainOptions): Promise<RunReport | null> {
  const { config, layers } = opts.resolved;
  const { log } = opts;
  const started = Date.now();

  const task = getTask(config.task);
  const seqLen = runSeqLen(config, task);
  const modelConfig = classifierConfig(config, task);
  validateClassifierConfig(modelConfig);
  if (config.train.evalEvery % config.train.logEvery !== 0)
    throw new Error(`train.evalEvery (${config.train.evalEvery}) must be a multiple of train.logEvery (${config.train.logEvery})`);

  const start = await startRun({ config, seqLen, resume: opts.resume, overwrite: opts.overwrite, verify: opts.verify, progress: opts.progress, threads: opts.threads, log });
  if ('finished' in start) return start.finished;
  try {
    return await trainLocked(opts, start, started);
  } finally {
    await start.lock.release();
  }
}

/** The run from its (locked, cleared or verified) directory on. */
async function trainLocked(opts: TrainOptions, start: StartedRun, started: number): Promise<RunReport | null> {
  const { log } = opts;
  // From here on a signal stops the run at the next step boundary, after saving (see the loop).
  const stop = new StopRequest((signal) =>
    log.warn({ signal }, `${signal}: finishing the work under way, then saving checkpoints/last.ckpt (${signal} again quits without saving)`),
  );
  try {
    return await trainFrom(opts, start, started, stop);
  } finally {
    stop.dispose();
  }
}

/** The run proper: model, plan, steps, evaluations, test and report; `stop` ends it early at a step boundary. */
async function trainFrom(opts: TrainOptions, start: StartedRun, started: number, stop: StopRequest): Promise<RunReport | null> {
  const { config, layers } = opts.resolved;
  const { log } = opts;
  const task = getTask(config.task);
  const seqLen = runSeqLen(config, task);
  const modelConfig = classifierConfig(config, task);
  const { files, backend, resumeFrom, timing } = start;
  const { prepared, splits } = start.data;
  await writeJsonAtomic(files.config, config);
  log.info({ out: config.out, layers }, resumeFrom ? `resuming ${config.out} from step ${resumeFrom.meta.step}` : `run ${config.out}`);
  log.info({ variant: prepared.variant, train: splits.train.count, val: splits.val.count, test: splits.test.count, seqLen }, `data ${config.task}`);

  const model = createClassifier(modelConfig, deriveSeed(config.seed, 'init'));
  const params = model.params.variables();
  const optimizer = new AdamW(params, {
    beta1: config.train.beta1,
    beta2: config.train.beta2,
    eps: config.train.eps,
    weightDecay: config.train.weightDecay,
    gradClipNorm: config.train.gradClipNorm,
  });
  log.info({ params: model.paramCount(), mixer: config.mixer }, `model: ${model.paramCount().toLocaleString('en-US')} parameters`);

  let startStep = 0;
  let best: BestSoFar | null = null;
  if (resumeFrom) {
    restoreParams(model, resumeFrom.entries);
    optimizer.restore(resumeFrom.meta.optimizerStep, valuesOf(resumeFrom.entries));
    startStep = resumeFrom.meta.step;
    best = resumeFrom.meta.best;
    await files.truncateMetricsAfter(startStep);
    await files.dropTestRecords();
  }
  // TensorBoard's view of metrics.jsonl: every record goes to both, each flushed as it is written.
  const board = await RunBoard.open(files.dir, { config, resumeStep: resumeFrom ? startStep : null });
  const logMetric = async (record: MetricRecord): Promise<void> => {
    const time = await files.appendMetric(record);
    await board.write(record, time);
  };

  const batcher = new SeededBatcher(splits.train, { batchSize: config.train.batchSize, seqLen, seed: deriveSeed(config.seed, 'shuffle') });
  const contextOf = (step: number) => (slice?: ExampleSlice) => trainingContext(config.seed, step, slice);
  // Before step 1: how much a step will hold, and how many examples each pass may take.
  const plan = await planMemory({
    model,
    batch: batcher.batchAt(startStep),
    context: contextOf(startStep),
    requested: config.train.microBatch ?? 'auto',
    limit: memoryLimit(backend.tfjsBackend, config.train.memoryLimitMiB === undefined ? undefined : config.train.memoryLimitMiB * 2 ** 20),
  });
  log.info({ microBatch: plan.microBatch, passes: plan.passes, predictedPeakBytes: plan.predictedPeakBytes, limitBytes: plan.limitBytes }, plannedLine(plan, config.train.batchSize));
  // LRA's Retrieval pipeline drops the last partial batch of every split; the others keep it.
  const evalOpts = { batchSize: config.train.evalBatchSize, seqLen, maxBatches: config.train.evalBatches, dropRemainder: task.pair, microBatch: plan.microBatch };
  const valExamples = config.train.evalBatches === null ? splits.val.count : Math.min(splits.val.count, config.train.evalBatches * config.train.evalBatchSize);
  const runShapeAt = (done: number): RunShape => ({
    stepsLeft: config.train.steps - done,
    batchSize: config.train.batchSize,
    evaluationsLeft: Math.floor(config.train.steps / config.train.evalEvery) - Math.floor(done / config.train.evalEvery) + (config.train.steps % config.train.evalEvery === 0 ? 0 : 1),
    valExamples,
    testExamples: done < config.train.steps ? splits.test.count : 0,
  });
  let measured: { msPerStep: number; etaSeconds: number } | null = null;
  const progress = new TrainingProgress(config.train.steps, startStep, log, config.train.logEvery, opts.progress);
  const { stepMs, warmupMs } = timing;
  let peakBytes = timing.peakBytes;
  const timingNow = (): RunTiming => timingSnapshot({ ...timing, peakBytes }, started);
  let window = { loss: 0, correct: 0, seen: 0, steps: 0, ...(resumeFrom?.meta.window ?? {}), started: performance.now() };
  // The highest step peak since the last train record (a measurement, not carried in checkpoints).
  let windowPeakBytes = 0;
  const checkpoints = new CheckpointPolicy(config.train.checkpointMinutes ?? DEFAULT_CHECKPOINT_MINUTES, 3 * 4 * model.paramCount());
  let lastFinite: { step: number; loss: number } | null = null;
  const tensorsAtStart = tf.memory().numTensors;
  // The schedule's highest rate (at the end of warmup; rsqrt's is base / sqrt(warmup)).
  const peakLr = learningRate(config.train.warmup, config.train);
  log.info({ peakLr, schedule: config.train.schedule, baseLr: config.train.lr, warmup: config.train.warmup }, describePeakRate(config.train));
  const evaluateWithProgress = async (split: string, data: SplitData, o: typeof evalOpts): Promise<EvalResult> => {
    const bar = progress.evaluation(split, evaluationBatches(data.count, o));
    try {
      return await evaluate(model, data, { ...o, onBatch: (done) => bar.update(done) });
    } finally {
      bar.stop();
    }
  };
  let savedStep = startStep;
  const interrupted = (signal: 'SIGINT' | 'SIGTERM', step: number): RunInterrupted => {
    progress.stop();
    const resume = opts.resumeCommand ?? `lra train --task ${config.task} --mixer ${config.mixer} --out ${config.out} --resume`;
    const error = new RunInterrupted(signal, step, files.lastCheckpoint, resume);
    log.warn({ signal, step, checkpoint: files.lastCheckpoint, resume }, error.message);
    return error;
  };

  try {
    // A signal during start-up (model, memory plan) leaves the checkpoint it resumed from as it is.
    if (stop.signal !== null) throw interrupted(stop.signal, startStep);
    for (let step = startStep; step < config.train.steps; step++) {
      const t0 = performance.now();
      const lr = learningRate(step, config.train);
      const batch = batcher.batchAt(step);
      // Parameters with a peak rate of their own follow the same schedule shape.
      const scheduleFactor = peakLr > 0 ? lr / peakLr : 0;
      const result = await trainStep(model, optimizer, batch, lr, contextOf(step), scheduleFactor, plan.microBatch).catch((error: unknown) => {
        if (!isOutOfMemory(error)) throw error;
        const advice = plan.microBatch > 1 ? `set train.microBatch=${Math.max(1, Math.floor(plan.microBatch / 2))}` : 'set model.recompute=block or lower data.seqLen';
        throw new StepMemoryError(plan.predictedPeakBytes, plan.limitBytes, plan.limitSource, `the plan was off; ${advice}`, error);
      });
      peakBytes = Math.max(peakBytes, result.peakBytes);
      windowPeakBytes = Math.max(windowPeakBytes, result.peakBytes);
      const elapsed = performance.now() - t0;
      (step - startStep >= TIMING_WARMUP_STEPS ? stepMs : warmupMs).push(elapsed);
      // The plan line, once a step after the first (compilation, first allocations) is timed.
      if (step === startStep + 1 || (step === startStep && step + 1 === config.train.steps)) {
        const now = { msPerStep: elapsed, etaSeconds: etaSeconds(elapsed, runShapeAt(step + 1)) };
        measured = now;
        progress.interrupt(() =>
          log.info(
            { predictedPeakBytes: plan.predictedPeakBytes, measuredPeakBytes: result.peakBytes, microBatch: plan.microBatch, ...now },
            measuredLine(plan, result.peakBytes, elapsed, now.etaSeconds, config.train.steps - step - 1),
          ),
        );
      }
      if (!Number.isFinite(result.loss)) throw new DivergedError(step + 1, lastFinite);
      lastFinite = { step: step + 1, loss: result.loss };

      window.loss += result.loss;
      window.correct += result.correct;
      window.seen += result.size;
      window.steps += 1;
      const done = step + 1;
      // The bar moves every step; its ETA comes from the median of the recent step times (a
      // window, so the cost per step stays constant over runs of tens of thousands of steps).
      const typicalMs = stepMs.length > 0 ? percentiles(stepMs.slice(-ETA_WINDOW_STEPS)).median : elapsed;
      progress.tick(done, { etaSeconds: etaSeconds(typicalMs, runShapeAt(done)), stepsPerSec: 1000 / typicalMs, peakBytes });
      if (done % config.train.logEvery === 0 || done === config.train.steps) {
        const seconds = (performance.now() - window.started) / 1000;
        const record = {
          type: 'train',
          step: done,
          lr,
          loss: window.loss / window.steps,
          accuracy: window.correct / window.seen,
          stepsPerSec: window.steps / seconds,
          tokensPerSec: (window.seen * seqLen * (task.pair ? 2 : 1)) / seconds,
          peakBytes: windowPeakBytes,
        };
        await logMetric(record);
        progress.update(done, { loss: record.loss, accuracy: record.accuracy, stepsPerSec: record.stepsPerSec });
        window = { loss: 0, correct: 0, seen: 0, steps: 0, started: performance.now() };
        windowPeakBytes = 0;
      }
      if (done % config.train.evalEvery === 0 || done === config.train.steps) {
        const val = await evaluateWithProgress('val', splits.val, evalOpts);
        const improved = best === null || val.accuracy > best.valAccuracy;
        if (improved) {
          best = { step: done, valAccuracy: val.accuracy, valLoss: val.loss };
          await saveCheckpoint(files.bestCheckpoint, model, optimizer, done, best, config, timingNow());
        }
        await logMetric({ type: 'val', step: done, loss: val.loss, accuracy: val.accuracy, count: val.count, best: improved });
        progress.interrupt(() =>
          log.info({ step: done, valAccuracy: val.accuracy, valLoss: val.loss, best: best!.valAccuracy }, `validation at step ${done}: accuracy ${(val.accuracy * 100).toFixed(2)}%${improved ? ' (best)' : ''}`),
        );
        await checkpoints.write(() => saveCheckpoint(files.lastCheckpoint, model, optimizer, done, best, config, timingNow()));
        savedStep = done;
        window.started = performance.now(); // training speed excludes validation time
      } else if (done < config.train.steps && checkpoints.due()) {
        // Between validations: the checkpoint carries the unfinished train record.
        const { started: _started, ...sums } = window;
        const ms = await checkpoints.write(() => saveCheckpoint(files.lastCheckpoint, model, optimizer, done, best, config, timingNow(), sums));
        savedStep = done;
        window.started += ms; // training speed excludes checkpoint writing
        progress.interrupt(() => log.info({ step: done, ms: Math.round(ms) }, `checkpoint at step ${done} (${Math.round(ms)} ms)`));
      }
      if (opts.stopAfterStep !== undefined && done >= opts.stopAfterStep) {
        progress.stop();
        return null;
      }
      if (stop.signal !== null && done < config.train.steps) {
        // A validation at this step has just written last.ckpt; otherwise it carries the unfinished window.
        if (savedStep !== done) {
          const { started: _started, ...sums } = window;
          await saveCheckpoint(files.lastCheckpoint, model, optimizer, done, best, config, timingNow(), sums);
        }
        throw interrupted(stop.signal, done);
      }
    }
    progress.stop();

    const tensorsAtEnd = tf.memory().numTensors;
    if (tensorsAtEnd !== tensorsAtStart) log.warn({ tensorsAtStart, tensorsAtEnd }, 'tensor count changed during training');

    // LRA's released code tests the last checkpoint: measured too, before the best one is restored.
    // When the best checkpoint is the last, the parameters are the same and so is the result.
    const lastStep = config.train.steps;
    const testedLast: EvalResult | null = best!.step === lastStep ? null : await evaluate(model, splits.test, { ...evalOpts, maxBatches: null });
    // Model selection as LRA intends: the best validation checkpoint is the one tested.
    const bestCkpt = await readCheckpoint<CheckpointMeta>(files.bestCheckpoint);
    restoreParams(model, bestCkpt.entries);
    const test: EvalResult = await evaluateWithProgress('test', splits.test, { ...evalOpts, maxBatches: null });
    await logMetric({ type: 'test', step: best!.step, loss: test.loss, accuracy: test.accuracy, count: test.count });
    const testLast = testedLast ?? test;
    await logMetric({ type: 'test-last', step: lastStep, loss: testLast.loss, accuracy: testLast.accuracy, count: testLast.count });

    const final = timingNow();
    const report = buildReport({
      config,
      layers,
      backend,
      params: model.paramCount(),
      best: best!,
      test,
      testLast: { step: lastStep, result: testLast },
      splits,
      variant: prepared.variant,
      seqLen,
      tokensPerStep: config.train.batchSize * seqLen * (task.pair ? 2 : 1),
      msPerStep: stepTimes(final),
      peakBytes,
      wallSeconds: final.wallSeconds,
      resumedFrom: resumeFrom ? resumeFrom.meta.step : null,
      plan: planRecord(plan, peakBytes, stepTimes(final).median, measured),
    });
    await writeJsonAtomic(files.report, report);
    // report.md and plots are for people: a failure to draw them must not lose a finished run.
    await writeRunSummary(config.out).catch((err: Error) => log.warn({ err: err.message }, 'report.md and plots not written'));
    log.info(
      { testAccuracy: test.accuracy, majorityRate: report.metrics.test.majorityRate, bestStep: best!.step, wallSeconds: report.wallSeconds },
      `test accuracy ${(test.accuracy * 100).toFixed(2)}% (majority class ${(report.metrics.test.majorityRate * 100).toFixed(2)}%), best step ${best!.step}; report ${files.report}`,
    );
    return report;
  } finally {
    progress.stop();
    optimizer.dispose();
    model.dispose();
  }
}

/** What report.json keeps of the plan: prediction beside measurement. */
function planRecord(plan: MemoryPlan, measuredPeakBytes: number, medianMs: number, measured: { msPerStep: number; etaSeconds: number } | null) {
  return {
    requested: plan.requested,
    microBatch: plan.microBatch,
    passes: plan.passes,
    predictedPeakBytes: plan.predictedPeakBytes,
    measuredPeakBytes,
    limitBytes: plan.limitBytes,
    limitSource: plan.limitSource,
    msPerStep: Number.isFinite(medianMs) ? medianMs : (measured?.msPerStep ?? null),
    etaSeconds: measured?.etaSeconds ?? null,
  };
}

async function saveCheckpoint(
  path: string,
  model: Classifier,
  optimizer: AdamW,
  step: number,
  best: BestSoFar | null,
  config: ExperimentConfig,
  timing: RunTiming,
  window?: WindowSums,
): Promise<void> {
  const snapshot = model.params.snapshot();
  const entries = Object.entries(snapshot).map(([name, t]) => ({ key: `param/${name}`, shape: t.shape, values: t.values }));
  for (const { key, tensor } of optimizer.state()) entries.push({ key, shape: tensor.shape, values: (await tensor.data()) as Float32Array });
  await writeCheckpoint<CheckpointMeta>(path, { step, optimizerStep: optimizer.step, best, config, timing, ...(window && window.steps > 0 ? { window } : {}) }, entries);
}

function valuesOf(entries: Map<string, { values: Float32Array }>): Map<string, Float32Array> {
  return new Map([...entries].map(([k, v]) => [k, v.values]));
}

export function restoreParams(model: Classifier, entries: Map<string, { shape: number[]; values: Float32Array }>): void {
  const snapshot: Record<string, { shape: number[]; values: Float32Array }> = {};
  for (const [key, value] of entries) if (key.startsWith('param/')) snapshot[key.slice('param/'.length)] = value;
  model.params.restore(snapshot);
}

export type { SplitData };
