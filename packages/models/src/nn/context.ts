// What a forward pass needs besides its inputs: whether it trains (dropout on) and a stream of
// seeds for its random ops. Seeds come from (run seed, step), so every step draws new dropout
// masks, every layer its own, and a resumed run draws exactly the masks it would have drawn.
import seedrandom from 'seedrandom';

export interface ForwardContext {
  readonly training: boolean;
  /** A fresh integer seed in [1, 2^31 - 1] for the next random op (tfjs reads 0 as unseeded). */
  nextSeed(): number;
  /** The training step (training contexts only), for draws kept over several steps. */
  readonly step?: number;
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
