import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../../../src/nn/context.js';
import type { Mixer } from '../../../src/mixers/types.js';

export interface LeakCheckOptions {
  /** The forward context of each round (a training context exercises dropout's paths too). */
  context: (round: number) => ForwardContext;
  rounds?: number;
  /** Also run a forward pass on the first `shortInput` positions (without a mask) each round. */
  shortInput?: number;
}

/**
 * Tensors a mixer leaves behind over a few rounds of a forward pass and a gradient of every
 * parameter; 0 when it cleans up after itself.
 */
export function tensorsLeaked(mixer: Mixer, x: tf.Tensor3D, mask: tf.Tensor2D | null, opts: LeakCheckOptions): number {
  const before = tf.memory().numTensors;
  for (let round = 0; round < (opts.rounds ?? 2); round++) {
    const short = opts.shortInput;
    if (short === undefined) mixer.apply(x, mask, opts.context(round)).dispose();
    else tf.tidy(() => mixer.apply(tf.slice(x, [0, 0, 0], [x.shape[0], short, x.shape[2]]) as tf.Tensor3D, null, opts.context(round))).dispose();
    const { value, grads } = tf.variableGrads(() => tf.sum(mixer.apply(x, mask, opts.context(round))));
    value.dispose();
    tf.dispose(grads);
  }
  return tf.memory().numTensors - before;
}
