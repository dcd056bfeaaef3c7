import * as tf from '@tensorflow/tfjs';
import { activeBackendHas } from '../backend/fused/register.js';
import { SEEDED_DROPOUT_KERNEL, seededDropoutMask, type SeededDropoutAttrs } from '../backend/fused/seeded-dropout.js';
import { type ForwardContext, wholeBatchOffset } from './context.js';

/**
 * Inverted dropout: zero each element with probability `rate` and scale the rest by 1/(1-rate),
 * so the expectation is unchanged and inference needs no rescaling. The mask is a function of a
 * seed from the context and the element's index, never of tfjs's unseeded default: the same seed
 * gives the same mask, on every backend. In a micro-batch (ctx.examples) the mask is the
 * micro-batch's slice of the whole batch's mask.
 */
export function dropout<T extends tf.Tensor>(x: T, rate: number, ctx: ForwardContext): T {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout rate must be in [0, 1), got ${rate}`);
  if (!ctx.training || rate === 0) return x;
  const attrs: SeededDropoutAttrs = { rate, seed: ctx.nextSeed(), offset: wholeBatchOffset(x, ctx) };
  return tf.tidy(() => {
    const input = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
    // cpu and wasm apply the mask in one kernel that regenerates it for the gradient; other
    // backends multiply by the same mask, made in JavaScript.
    if (activeBackendHas(SEEDED_DROPOUT_KERNEL)) {
      return tf.engine().runKernel(SEEDED_DROPOUT_KERNEL, { x: input }, { ...attrs }) as T;
    }
    return tf.mul(input, tf.tensor(seededDropoutMask(input.size, attrs), input.shape, 'float32')) as T;
  });
}
