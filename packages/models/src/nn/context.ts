// What a forward pass needs besides its inputs: whether it trains (dropout on) and a stream of
// seeds for its random ops. Seeds come from (run seed, step), so every step draws new dropout
// masks, every layer its own, and a resumed run draws exactly the masks it would have drawn.
import type * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import type { Mixer } from '../mixers/types.js';

export interface ForwardContext {
  readonly training: boolean;
  /** A fresh integer seed in [1, 2^31 - 1] for the next random op (tfjs reads 0 as unseeded). */
  nextSeed(): number;
  /** The training step (training contexts only), for draws kept over several steps. */
  readonly step?: number;
  /**
   * Where this forward pass's examples sit in the step's whole batch, when a batch is split into
   * micro-batches: dropout then takes its mask from the whole batch's mask at that offset, so an
   * update never depends on the split. Absent: the pass holds the whole batch.
   */
  readonly examples?: ExampleSlice;
  /**
   * Called by each encoder block, in block order, with its mixer and the exact input the mixer
   * is about to mix (after the block's LayerNorm in a pre-LN block): what analysis needs to probe
   * a trained layer on real activations. The tensors belong to the forward pass and are disposed
   * with it: an observer that keeps them must clone them under tf.keep and dispose them itself.
   */
  readonly observeMixer?: (mixer: Mixer, input: tf.Tensor3D, mask: tf.Tensor2D | null) => void;
  /**
   * Where a training pass leaves the updates of non-trained state (batch norm's running
   * statistics) instead of applying them: the training step applies them once, after the
   * optimiser's update. Absent (evaluation, the memory planner's trial pass, a recomputation
   * replaying a block): the state is left as it is.
   */
  readonly stateUpdates?: StateUpdate[];
}

/** A pending change of non-trained state; it holds its own tensors until applied or disposed. */
export interface StateUpdate {
  apply(): void;
  dispose(): void;
}

/** Examples offset .. offset + count - 1 of a batch; every random draw is shared by all slices of one step. */
export interface ExampleSlice {
  readonly offset: number;
  readonly count: number;
}

const MAX_SEED = 2 ** 31 - 1;

function seedStream(key: string): () => number {
  const random = seedrandom.alea(key);
  return () => 1 + Math.floor(random() * (MAX_SEED - 1));
}

/**
 * The context of training step `step`. Each micro-batch of the step gets its own context with the
 * same seed stream (so every layer draws the same seeds) and its slice of the batch.
 */
export function trainingContext(runSeed: number, step: number, examples?: ExampleSlice): ForwardContext {
  if (!Number.isInteger(runSeed) || !Number.isInteger(step) || step < 0) {
    throw new Error(`trainingContext needs an integer seed and a non-negative integer step, got (${runSeed}, ${step})`);
  }
  const ctx = { training: true, step, nextSeed: seedStream(`forward/${runSeed}/${step}`) };
  if (!examples) return ctx;
  if (!(Number.isInteger(examples.offset) && examples.offset >= 0 && Number.isInteger(examples.count) && examples.count > 0)) {
    throw new Error(`trainingContext: examples must be a non-negative offset and a positive count, got ${JSON.stringify(examples)}`);
  }
  return { ...ctx, examples };
}

/**
 * Index of x's first element in the whole batch's version of x, for a batch-major tensor (its
 * elements grouped by example, examples outermost: every activation of the encoder).
 */
export function wholeBatchOffset(x: { size: number }, ctx: ForwardContext): number {
  const slice = ctx.examples;
  if (!slice || slice.offset === 0) return 0;
  if (x.size % slice.count !== 0) {
    throw new Error(`a tensor of ${x.size} elements is not batch-major over the pass's ${slice.count} examples`);
  }
  return slice.offset * (x.size / slice.count);
}

/** Dropout off. Seeds are still handed out (deterministically) to mixers that draw at inference. */
export function inferenceContext(seed = 1): ForwardContext {
  return { training: false, nextSeed: seedStream(`inference/${seed}`) };
}

/** A context that hands out its base's seeds and remembers them, in the order they were drawn. */
export interface RecordingContext {
  readonly ctx: ForwardContext;
  readonly seeds: readonly number[];
}

/**
 * Wraps `base` so that every seed drawn through it is also recorded: a computation run again
 * later (a reversible block recomputed in the backward pass) can then replay exactly the dropout
 * masks it drew the first time.
 */
export function recordingContext(base: ForwardContext): RecordingContext {
  const seeds: number[] = [];
  const ctx: ForwardContext = {
    ...base,
    nextSeed: () => {
      const seed = base.nextSeed();
      seeds.push(seed);
      return seed;
    },
  };
  return { ctx, seeds };
}

/**
 * A context that hands out `seeds` in order, with the base's training flag and step. It observes
 * nothing: a recomputation must not report the same block twice. Drawing more seeds than were
 * recorded means the recomputation is not the computation that was recorded: it throws.
 */
export function replayingContext(base: ForwardContext, seeds: readonly number[]): ForwardContext {
  let next = 0;
  const replay = (): number => {
    const seed = seeds[next];
    if (seed === undefined) throw new Error(`replayed computation drew more than the ${seeds.length} recorded seed(s)`);
    next++;
    return seed;
  };
  return {
    training: base.training,
    nextSeed: replay,
    ...(base.step === undefined ? {} : { step: base.step }),
    ...(base.examples === undefined ? {} : { examples: base.examples }),
  };
}
