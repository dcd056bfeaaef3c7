import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentConfig } from '../../src/config/types.js';
import type { RunReport } from '../../src/report/report.js';

export function config(over: { task?: string; mixer?: string; preset?: string; seed?: number; out?: string; backend?: ExperimentConfig['backend']; lr?: number; dataDir?: string } = {}): ExperimentConfig {
  const task = over.task ?? 'listops';
  const mixer = over.mixer ?? 'attention';
  const preset = over.preset ?? 'tiny';
  const seed = over.seed ?? 1;
  return {
    task,
    mixer,
    preset,
    seed,
    backend: over.backend ?? 'auto',
    data: { dataDir: over.dataDir ?? 'datasets', source: null, generator: { minLength: 16 }, seqLen: 64, skipBad: false },
    model: {
      dModel: 64,
      heads: 4,
      layers: 2,
      mlpDim: 128,
      dropout: 0.1,
      attentionDropout: 0,
      pool: 'cls',
      positions: 'sinusoidal',
      block: null,
      classifierHidden: null,
      pairInteraction: 'concat',
      mixerOptions: {},
    },
    train: {
      batchSize: 32,
      steps: 100,
      lr: over.lr ?? 0.05,
      schedule: 'rsqrt',
      warmup: 30,
      weightDecay: 0.01,
      beta1: 0.9,
      beta2: 0.98,
      eps: 1e-9,
      gradClipNorm: null,
      evalEvery: 50,
      evalBatches: null,
      evalBatchSize: 100,
      logEvery: 25,
    },
    out: over.out ?? `runs/${task}-${mixer}-${preset}-s${seed}`,
  };
}

export interface ReportOver {
  testAccuracy: number;
  valAccuracy?: number;
  stepsPerSec?: number;
  backend?: string;
  params?: number;
  majorityRate?: number;
  /** The last checkpoint's test accuracy (absent: a report from before the field). */
  testLast?: number;
}

export function report(c: ExperimentConfig, r: ReportOver): RunReport {
  const stepsPerSec = r.stepsPerSec ?? 4;
  return {
    task: c.task,
    mixer: c.mixer,
    preset: c.preset,
    seed: c.seed,
    backend: r.backend ?? 'wasm',
    backendInfo: { name: (r.backend ?? 'wasm') as RunReport['backendInfo']['name'], tfjsBackend: 'wasm', requested: 'auto', reason: 'first that loaded: tensorflow not installed', rejected: [{ name: 'tensorflow', reason: 'tensorflow not installed' }] },
    params: r.params ?? 77322,
    steps: c.train.steps,
    config: c,
    configLayers: ['defaults', `preset ${c.preset}`, 'command line'],
    data: { variant: 'generated-7bece40b', seqLen: 64, counts: { train: 20000, val: 1000, test: 1000 }, skipped: 0 },
    metrics: {
      best: { step: 100, valAccuracy: r.valAccuracy ?? r.testAccuracy + 0.01, valLoss: 1.9 },
      test: { accuracy: r.testAccuracy, loss: 2.0, count: 1000, majorityRate: r.majorityRate ?? 0.15 },
      ...(r.testLast === undefined ? {} : { testLast: { step: c.train.steps, accuracy: r.testLast, loss: 2.1, count: 1000 } }),
    },
    speed: { stepsPerSec, tokensPerSec: stepsPerSec * 2048, msPerStep: { median: 1000 / stepsPerSec, p90: 1200 / stepsPerSec } },
    memory: { peakBytes: 226446684 },
    wallSeconds: 44.1,
    resumedFrom: null,
    machine: { cpu: 'Test CPU', cores: 2, memoryGiB: 23.5, node: 'v20.20.2', platform: 'linux-x64' },
    versions: { lra: '0.1.0', node: 'v20.20.2', tfjs: '4.22.0', commit: 'abc123', packages: { '@tensorflow/tfjs-backend-wasm': '4.22.0' } },
    finishedAt: '2026-01-01T00:00:00.000Z',
  };
}

export const METRICS_LINES = [
  { type: 'train', step: 25, lr: 0.00023, loss: 2.35, accuracy: 0.13, stepsPerSec: 2.4, tokensPerSec: 4918 },
  { type: 'train', step: 50, lr: 0.00047, loss: 2.27, accuracy: 0.165, stepsPerSec: 4.9, tokensPerSec: 10028 },
  { type: 'val', step: 50, loss: 2.21, accuracy: 0.247, count: 1000, best: true },
  { type: 'train', step: 75, lr: 0.00071, loss: 2.24, accuracy: 0.19, stepsPerSec: 4.1, tokensPerSec: 8425 },
  { type: 'train', step: 100, lr: 0.00095, loss: 2.08, accuracy: 0.25, stepsPerSec: 4.0, tokensPerSec: 8300 },
  { type: 'val', step: 100, loss: 1.98, accuracy: 0.321, count: 1000, best: true },
  { type: 'test', step: 100, loss: 2.06, accuracy: 0.288, count: 1000 },
];

/** A finished run folder as the training loop leaves it. */
export function writeRun(dir: string, r: RunReport, metrics: object[] = METRICS_LINES): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(r.config, null, 2));
  writeFileSync(join(dir, 'report.json'), JSON.stringify(r, null, 2));
  writeFileSync(join(dir, 'metrics.jsonl'), metrics.map((m) => `${JSON.stringify(m)}\n`).join(''));
  return dir;
}

/** A run folder killed mid-way: config and some metrics, no report.json. */
export function writeUnfinishedRun(dir: string, c: ExperimentConfig, lastStep: number): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c, null, 2));
  const lines = METRICS_LINES.filter((m) => m.type !== 'test' && m.step <= lastStep);
  writeFileSync(join(dir, 'metrics.jsonl'), `${lines.map((m) => JSON.stringify(m)).join('\n')}\n{"type":"train","st`);
  return dir;
}
