import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import type { Batch } from '@lra/data';
import { type Classifier, createClassifier, inferenceContext, trainingContext, validateClassifierConfig } from '@lra/models';
import { AdamW } from '../train/optimizer.js';
import { trainStep } from '../train/step.js';
import { toTensors } from '../train/batch-tensors.js';
import { percentiles } from '../util/stats.js';

export interface ModelBenchOptions {
  mixers: string[];
  lengths: number[];
  batch: number;
  dModel: number;
  heads: number;
  layers: number;
  mlpDim: number;
  warmup: number;
  repeats: number;
  /** Called after each (mixer, length) with its row, e.g. to print progress. */
  onRow?: (row: ModelBenchRow) => void;
}

export interface ModelBenchRow {
  mixer: string;
  length: number;
  params: number;
  forwardMs: number;
  stepMs: number;
  peakBytes: number;
  tokensPerSec: number;
  /** Set when the mixer could not run at this length (e.g. out of memory); timings are NaN. */
  error?: string;
}

const VOCAB = 256;
const CLASSES = 10;

/**
 * Times the classifier DESIGN.md fixes for `lra bench`: L pre-LN blocks (mixer + GELU feed-forward),
 * token embedding over 256 ids, mean pooling, 10 classes, cross-entropy and one Adam step on random
 * tokens. Medians over `repeats` after `warmup` untimed runs; peak bytes as trainStep measures them.
 */
export async function benchModels(opts: ModelBenchOptions): Promise<ModelBenchRow[]> {
  const rows: ModelBenchRow[] = [];
  for (const mixer of opts.mixers) {
    for (const length of opts.lengths) {
      const row = await benchOne(mixer, length, opts).catch((err: Error) => ({
        mixer,
        length,
        params: 0,
        forwardMs: Number.NaN,
        stepMs: Number.NaN,
        peakBytes: 0,
        tokensPerSec: Number.NaN,
        error: err.message,
      }));
      rows.push(row);
      opts.onRow?.(row);
    }
  }
  return rows;
}

function randomBatch(batch: number, length: number, seed: string): Batch {
  const rng = seedrandom(seed);
  const tokens = new Int32Array(batch * length);
  for (let i = 0; i < tokens.length; i++) tokens[i] = 1 + Math.floor(rng() * (VOCAB - 1));
  const labels = new Int32Array(batch);
  for (let i = 0; i < batch; i++) labels[i] = Math.floor(rng() * CLASSES);
  return { size: batch, seqLen: length, tokens, labels, indices: new Int32Array(batch) };
}

async function benchOne(mixer: string, length: number, opts: ModelBenchOptions): Promise<ModelBenchRow> {
  const config = {
    vocabSize: VOCAB,
    seqLen: length,
    numClasses: CLASSES,
    dModel: opts.dModel,
    heads: opts.heads,
    layers: opts.layers,
    mlpDim: opts.mlpDim,
    dropout: 0.1,
    attentionDropout: 0.1,
    pool: 'mean' as const,
    positions: 'sinusoidal' as const,
    block: 'pre-ln' as const,
    mixer: mixer as Parameters<typeof createClassifier>[0]['mixer'],
    mixerOptions: {},
  };
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
      tokensPerSec: (opts.batch * length * 1000) / stepMs,
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
