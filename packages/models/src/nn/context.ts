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
   * Called by each encoder block, in block order, with its mixer and the exact input the mixer
   * is about to mix (after the block's LayerNorm in a pre-LN block): what analysis needs to probe
   * a trained layer on real activations. The tensors belong to the forward pass and are disposed
   * with it: an observer that keeps them must clone them under tf.keep and dispose them itself.
   */
  readonly observeMixer?: (mixer: Mixer, input: tf.Tensor3D, mask: tf.Tensor2D | null) => void;
}

const MAX_SEED = 2 ** 31 - 1;

function seedStream(key: string): () => number {
  const random = seedrandom.alea(key);
  return () => 1 + Math.floor(random() * (MAX_SEED - 1));
}

export function trainingContext(runSeed: number, step: number): ForwardContext {
  if (!Number.isInteger(runSeed) || !Number.isInteger(step) || step < 0) {
    throw new Error(`trainingContext needs an integer seed and a non-negative integer step, got (${runSeed}, ${step})`);
  }
  return { training: true, step, nextSeed: seedStream(`forward/${runSeed}/${step}`) };
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
  return base.step === undefined
    ? { training: base.training, nextSeed: replay }
    : { training: base.training, step: base.step, nextSeed: replay };
}
