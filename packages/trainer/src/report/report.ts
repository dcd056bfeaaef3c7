import type { SplitData, SplitName } from '@lra/data';
import { type BackendChoice, describeMachine } from '@lra/models';
import type { ExperimentConfig } from '../config/types.js';
import type { EvalResult } from '../train/evaluate.js';
import { majorityRate } from '../util/stats.js';
import { collectVersions, type Versions } from './versions.js';

/** report.json: the fields docs/design.md promises (extend, never rename). */
export interface RunReport {
  task: string;
  mixer: string;
  preset: string;
  seed: number;
  backend: string;
  backendInfo: BackendChoice;
  params: number;
  steps: number;
  config: ExperimentConfig;
  configLayers: string[];
  data: {
    variant: string;
    seqLen: number;
    counts: Record<SplitName, number>;
    skipped: number;
  };
  metrics: {
    best: { step: number; valAccuracy: number; valLoss: number };
    test: { accuracy: number; loss: number; count: number; majorityRate: number };
    /**
     * The test split on the LAST checkpoint (the step the run ended at), which LRA's released code
     * reports; `test` is the best validation checkpoint's. Absent from reports made before it.
     */
    testLast?: { step: number; accuracy: number; loss: number; count: number };
  };
  speed: { stepsPerSec: number; tokensPerSec: number; msPerStep: { median: number; p90: number } };
  memory: { peakBytes: number };
  wallSeconds: number;
  resumedFrom: number | null;
  /** The memory plan and what the run measured against it (runs made before the planner have none). */
  plan?: PlanReport;
  machine: ReturnType<typeof describeMachine>;
  versions: Versions;
  finishedAt: string;
}

export interface ReportInput {
  config: ExperimentConfig;
  layers: string[];
  backend: BackendChoice;
  params: number;
  best: { step: number; valAccuracy: number; valLoss: number };
  test: EvalResult;
  /** The test result of the last checkpoint, and its step. */
  testLast?: { step: number; result: EvalResult };
  splits: Record<SplitName, SplitData>;
  variant: string;
  seqLen: number;
  tokensPerStep: number;
  msPerStep: { median: number; p90: number };
  peakBytes: number;
  wallSeconds: number;
  resumedFrom: number | null;
  plan?: PlanReport;
}

export interface PlanReport {
  requested: number | 'auto';
  microBatch: number;
  passes: number;
  predictedPeakBytes: number;
  measuredPeakBytes: number;
  limitBytes: number;
  limitSource: string;
  msPerStep: number | null;
  etaSeconds: number | null;
}

export function buildReport(r: ReportInput): RunReport {
  const stepsPerSec = 1000 / r.msPerStep.median;
  return {
    task: r.config.task,
    mixer: r.config.mixer,
    preset: r.config.preset,
    seed: r.config.seed,
    backend: r.backend.name,
    backendInfo: r.backend,
    params: r.params,
    steps: r.config.train.steps,
    config: r.config,
    configLayers: r.layers,
    data: {
      variant: r.variant,
      seqLen: r.seqLen,
      counts: { train: r.splits.train.count, val: r.splits.val.count, test: r.splits.test.count },
      skipped: r.splits.train.skipped + r.splits.val.skipped + r.splits.test.skipped,
    },
    metrics: {
      best: r.best,
      test: { accuracy: r.test.accuracy, loss: r.test.loss, count: r.test.count, majorityRate: majorityRate(r.splits.test.labels) },
      ...(r.testLast
        ? { testLast: { step: r.testLast.step, accuracy: r.testLast.result.accuracy, loss: r.testLast.result.loss, count: r.testLast.result.count } }
        : {}),
    },
    speed: { stepsPerSec, tokensPerSec: stepsPerSec * r.tokensPerStep, msPerStep: r.msPerStep },
    memory: { peakBytes: r.peakBytes },
    wallSeconds: r.wallSeconds,
    resumedFrom: r.resumedFrom,
    ...(r.plan ? { plan: r.plan } : {}),
    machine: describeMachine(),
    versions: collectVersions(),
    finishedAt: new Date().toISOString(),
  };
}
