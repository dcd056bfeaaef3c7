// Activation recomputation (gradient checkpointing, Chen et al. 2016) at the granularity of one
// encoder block: the forward pass keeps only the block's input; the backward pass runs the block
// again on it, replaying the dropout seeds it drew, and differentiates that. Activation memory is
// then one block's worth plus an input per block, at the cost of a second forward pass.
import * as tf from '@tensorflow/tfjs';
import { recordingContext, replayingContext, type ForwardContext } from '../nn/context.js';
import type { EncoderBlock } from './block.js';
import { vjp } from '../nn/vjp.js';

/**
 * `block` with its backward pass recomputed. `params` are the variables the block reads: the
 * gradient is returned for each of them (zeros for one it does not read).
 */
export function recomputedBlock(block: EncoderBlock, params: readonly tf.Variable[]): EncoderBlock {
  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      // Outside a gradient computation there is nothing to save: run the block as it is.
      if (!ctx.training) return block.apply(x, mask, ctx);
      const draws = recordingContext(ctx);
      // The mask needs no gradient: it travels in `saved` rather than among the differentiated inputs.
      const run = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
        const save = args[args.length - 1] as tf.GradSaveFunc;
        const input = args[0] as tf.Tensor3D;
        const value = block.apply(input, mask, draws.ctx);
        save(mask ? [input, mask] : [input]);
        return {
          value,
          gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) =>
            tf.tidy(() => {
              const savedInput = saved[0] as tf.Tensor3D;
              const savedMask = (saved[1] as tf.Tensor2D | undefined) ?? null;
              const again = replayingContext(ctx, draws.seeds);
              const { value: recomputed, grads } = vjp(() => block.apply(savedInput, savedMask, again), [savedInput, ...params], dy);
              recomputed.dispose();
              return grads;
            }),
        };
      });
      return run(x, ...params) as tf.Tensor3D;
    },
  };
}
