// The memory planner: before step 1, predict the peak tensor memory of a training step from the
// model, the batch and the length, and pick the micro-batch that fits the backend.
//
// The prediction is measured, not modelled per mixer: one forward/backward pass on 1 and on 2
// examples of the run's own first batch, under the backend's exact accounting (on wasm the heap
// allocator's high-water mark), gives peak(m) = base + m x perExample. Memory of a pass is affine
// in its number of examples for every mixer here (no op mixes examples), so two points determine
// it; the accumulated gradients and the optimiser's update are added on top.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '@lra/data';
import { type Classifier, type ExampleSlice, type ForwardContext, startPeakMeter } from '@lra/models';
import { sliceBatch } from '../train/micro-batches.js';
import { gradientPass } from '../train/step.js';
import type { MemoryLimit } from './memory-limit.js';
import { isOutOfMemory, StepMemoryError } from './out-of-memory.js';

export interface MemoryPlan {
  /** What the config asked for. */
  requested: number | 'auto';
  /** Examples per forward/backward pass, and passes per optimiser step. */
  microBatch: number;
  passes: number;
  predictedPeakBytes: number;
  limitBytes: number;
  limitSource: string;
  /** The fitted line: a pass over m examples peaks at baseBytes + m x perExampleBytes. */
  baseBytes: number;
  perExampleBytes: number;
  paramBytes: number;
  /** A step's time as the probe suggests it (the run replaces it by a measured one). */
  probeMsPerStep: number;
}

export interface PlanInput {
  model: Classifier;
  /** The run's first batch: the probe passes run on its first examples. */
  batch: Batch;
  /** The context of the run's first step, for a slice of its batch. */
  context: (slice?: ExampleSlice) => ForwardContext;
  requested: number | 'auto';
  limit: MemoryLimit;
}

/** Bytes and milliseconds of one forward/backward pass over the first `m` examples of `batch`. */
async function probePass(input: PlanInput, m: number): Promise<{ peak: number; ms: number }> {
  const part = sliceBatch(input.batch, 0, m);
  const meter = startPeakMeter();
  const t0 = performance.now();
  try {
    const pass = gradientPass(input.model, part, input.batch.size, input.context({ offset: 0, count: m }), meter.probe);
    await pass.loss.data();
    tf.dispose([pass.loss, pass.correct, ...pass.grads.values()]);
    return { peak: meter.stop(), ms: performance.now() - t0 };
  } finally {
    meter.stop();
  }
}

/** Advice for a model whose single example does not fit. */
function adviceForOneExample(model: Classifier): string {
  const recompute = model.config.recompute === 'block' || model.config.reversible ? '' : 'set model.recompute=block (activations recomputed in the backward pass), ';
  return `${recompute}lower data.seqLen or model.dModel, or use a backend with more memory (--backend tensorflow)`;
}

export async function planMemory(input: PlanInput): Promise<MemoryPlan> {
  const { model, batch, limit, requested } = input;
  const params = model.params.variables();
  const paramBytes = params.reduce((sum, p) => sum + p.variable.size * 4, 0);
  const largestParam = params.reduce((most, p) => Math.max(most, p.variable.size * 4), 0);
  const liveBefore = tf.memory().numBytes;

  let one: { peak: number; ms: number };
  let two: { peak: number; ms: number } | null = null;
  try {
    one = await probePass(input, 1);
    if (batch.size >= 2) two = await probePass(input, 2);
  } catch (error) {
    if (!isOutOfMemory(error)) throw error;
    throw new StepMemoryError(Number.POSITIVE_INFINITY, limit.bytes, limit.source, adviceForOneExample(model), error);
  }
  // A second point fixes the slope; without one (batches of 1) the whole pass is per-example.
  const perExampleBytes = two ? Math.max(two.peak - one.peak, 0) : one.peak - liveBefore;
  const baseBytes = one.peak - perExampleBytes;
  const msPerExample = two ? two.ms / 2 : one.ms;

  const predict = (m: number): number => {
    const passes = Math.ceil(batch.size / m);
    // Between passes the summed gradients (one copy of the parameters) stay alive.
    const pass = baseBytes + m * perExampleBytes + (passes > 1 ? paramBytes : 0);
    // The update holds the gradients plus a few temporaries of one parameter at a time.
    const update = liveBefore + paramBytes + 8 * largestParam;
    return Math.max(pass, update);
  };
  const plan = (m: number): MemoryPlan => {
    const passes = Math.ceil(batch.size / m);
    return {
      requested,
      microBatch: m,
      passes,
      predictedPeakBytes: predict(m),
      limitBytes: limit.bytes,
      limitSource: limit.source,
      baseBytes,
      perExampleBytes,
      paramBytes,
      probeMsPerStep: msPerExample * batch.size,
    };
  };

  if (requested !== 'auto') {
    const m = Math.min(requested, batch.size);
    if (predict(m) <= limit.bytes) return plan(m);
    const fits = largestFitting(batch.size, predict, limit.bytes);
    const advice = fits ? `set train.microBatch=${fits} or train.microBatch=auto` : adviceForOneExample(model);
    throw new StepMemoryError(predict(m), limit.bytes, limit.source, `train.microBatch=${requested} is too large; ${advice}`);
  }
  const fits = largestFitting(batch.size, predict, limit.bytes);
  if (!fits) throw new StepMemoryError(predict(1), limit.bytes, limit.source, adviceForOneExample(model));
  // As few passes as fit, then the examples spread evenly over them (32 = 11 + 11 + 10, not 12 + 12 + 8).
  const passes = Math.ceil(batch.size / fits);
  return plan(Math.ceil(batch.size / passes));
}

/** The largest m in 1..size with predict(m) <= limit, or 0. */
function largestFitting(size: number, predict: (m: number) => number, limit: number): number {
  let best = 0;
  for (let m = 1; m <= size; m++) if (predict(m) <= limit) best = m;
  return best;
}
