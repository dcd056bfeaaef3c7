import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import type { Batch } from '@lra/data';
import { type Classifier, type ClassifierConfig, createClassifier, inferenceContext, trainingContext, validateClassifierConfig } from '@lra/models';
import { AdamW } from '../train/optimizer.js';
import { trainStep } from '../train/step.js';
import { toTensors } from '../train/batch-tensors.js';
import { percentiles } from '../util/stats.js';

/** The shape of the classifier `lra bench` times (docs/design.md: B 8, D 64, H 4, L 1, F 128). */
export interface BenchShape {
  batch: number;
  dModel: number;
  heads: number;
  layers: number;
  mlpDim: number;
  /** Reversible blocks (passed to the classifier config only when set). */
  reversible?: boolean;
  /** The mixer's options (config mixerOptions), e.g. {"implementation": "blocked"} for attention. */
  mixerOptions?: Record<string, unknown>;
}

export interface BenchRepeats {
  /** Untimed runs before timing. */
  warmup: number;
  /** Timed runs; their median is reported. */
  repeats: number;
}

export interface ModelBenchOptions extends BenchShape, BenchRepeats {
  mixers: string[];
  lengths: number[];
  /** Called after each (mixer, length) with its row, e.g. to print progress. */
  onRow?: (row: ModelBenchRow) => void;
}

export interface ModelBenchRow {
  mixer: string;
  length: number;
  params: number;
  forwardMs: number;
  stepMs: number;
  /** The train step's high-water mark of tensor memory, by the backend's own accounting (startPeakMeter). */
  peakBytes: number;
  /**
   * The process's peak resident set (process.resourceUsage().maxRSS) when the cell ended: the
   * cell's own when it ran in a process of its own, else the high-water of everything before it.
   */
  rssPeakBytes: number;
  tokensPerSec: number;
  /** Threads the backend computed on, as it reported them after start-up (wasm: XNNPACK's pool). */
  threads?: number;
  /** The threads asked for (`lra bench --threads`), where they may differ from `threads`. */
  requestedThreads?: number;
  /** `lra bench --rounds R`: each round's step (the row's timings are the rounds' medians). */
  roundStepMs?: number[];
  /** Untimed and timed runs of each measurement. */
  warmup: number;
  repeats: number;
  /** Set when the mixer could not run at this length (e.g. out of memory); timings are NaN. */
  error?: string;
  /** Set when the cell was not attempted (over its time or memory budget); timings are NaN. */
  skipped?: string;
}

const VOCAB = 256;
const CLASSES = 10;

/**
 * Times the classifier docs/design.md fixes for `lra bench`: L pre-LN blocks (mixer + GELU feed-forward),
 * token embedding over 256 ids, mean pooling, 10 classes, cross-entropy and one Adam step on random
 * tokens. Medians over `repeats` after `warmup` untimed runs; peak bytes as trainStep measures them.
 * Every cell runs in this process, one after another.
 */
export async function benchModels(opts: ModelBenchOptions): Promise<ModelBenchRow[]> {
  const rows: ModelBenchRow[] = [];
  for (const mixer of opts.mixers) {
    for (const length of opts.lengths) {
      const row = await benchCell(mixer, length, opts);
      rows.push(row);
      opts.onRow?.(row);
    }
  }
  return rows;
}

/** A row with no measurement: the cell failed (`error`) or was not attempted (`skipped`). */
export function unmeasuredRow(
  mixer: string,
  length: number,
  counts: BenchRepeats,
  why: { error: string } | { skipped: string },
  params = 0,
): ModelBenchRow {
  return {
    mixer,
    length,
    params,
    forwardMs: Number.NaN,
    stepMs: Number.NaN,
    peakBytes: 0,
    rssPeakBytes: 0,
    tokensPerSec: Number.NaN,
    warmup: counts.warmup,
    repeats: counts.repeats,
    ...why,
  };
}

/** One (mixer, length) cell in this process; a failure becomes the row's `error`. */
export async function benchCell(mixer: string, length: number, opts: BenchShape & BenchRepeats): Promise<ModelBenchRow> {
  try {
    return await measureCell(mixer, length, opts);
  } catch (err) {
    return { ...unmeasuredRow(mixer, length, opts, { error: (err as Error).message }), rssPeakBytes: rssPeakBytes() };
  }
}

/** The process's peak resident set in bytes (maxRSS is in kibibytes). */
export function rssPeakBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export function benchConfig(mixer: string, length: number, shape: BenchShape): ClassifierConfig {
  return {
    vocabSize: VOCAB,
    seqLen: length,
    numClasses: CLASSES,
    dModel: shape.dModel,
    heads: shape.heads,
    layers: shape.layers,
    mlpDim: shape.mlpDim,
    dropout: 0.1,
    attentionDropout: 0.1,
    pool: 'mean',
    positions: 'sinusoidal',
    block: 'pre-ln',
    mixer: mixer as ClassifierConfig['mixer'],
    mixerOptions: shape.mixerOptions ?? {},
    // Only named when asked for, so configs without the field stay as they were.
    ...(shape.reversible ? { reversible: true } : {}),
  } as ClassifierConfig;
}

function randomBatch(batch: number, length: number, seed: string): Batch {
  const rng = seedrandom(seed);
  const tokens = new Int32Array(batch * length);
  for (let i = 0; i < tokens.length; i++) tokens[i] = 1 + Math.floor(rng() * (VOCAB - 1));
  const labels = new Int32Array(batch);
  for (let i = 0; i < batch; i++) labels[i] = Math.floor(rng() * CLASSES);
  return { size: batch, seqLen: length, tokens, labels, indices: new Int32Array(batch) };
}

async function measureCell(mixer: string, length: number, opts: BenchShape & BenchRepeats): Promise<ModelBenchRow> {
  const config = benchConfig(mixer, length, opts);
  validateClassifierConfig(config);
  const model: Classifier = createClassifier(config, 1);
  const optimizer = new AdamW(model.params.variables(), { beta1: 0.9, beta2: 0.98, eps: 1e-9, weightDecay: 0, gradClipNorm: null });
  const batch = randomBatch(opts.batch, length, `bench/${length}`);
  try {
    const forward = async () => {
      const out = tf.tidy(() => model.logits({ tokens: toTensors(batch).tokens }, inferenceContext()));
      await out.data();
      out.dispose();
    };
    let stepIndex = 0;
    let peakBytes = 0;
    const step = async () => {
      const r = await trainStep(model, optimizer, batch, 1e-4, trainingContext(1, stepIndex++));
      peakBytes = Math.max(peakBytes, r.peakBytes);
    };
    const forwardMs = await timeMedian(forward, opts.warmup, opts.repeats);
    const stepMs = await timeMedian(step, opts.warmup, opts.repeats);
    return {
      mixer,
      length,
      params: model.paramCount(),
      forwardMs,
      stepMs,
      peakBytes,
      rssPeakBytes: rssPeakBytes(),
      tokensPerSec: (opts.batch * length * 1000) / stepMs,
      warmup: opts.warmup,
      repeats: opts.repeats,
    };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

async function timeMedian(fn: () => Promise<void>, warmup: number, repeats: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return percentiles(samples).median;
}
