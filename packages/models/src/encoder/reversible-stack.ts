// A stack of reversible blocks whose activation memory does not grow with depth: the whole stack
// is one tf.customGrad whose forward keeps nothing but its two output streams, and whose backward
// walks the blocks in reverse, rebuilding each block's input from its output and differentiating
// one block at a time. Peak memory is then the memory of one block's backward pass.
//
// The streams start as two copies of the input and end averaged, as trax's Reformer encoder does
// (Dup, ReversibleSerial, then the mean of the two streams before its final LayerNorm); ReformerLM
// concatenates them instead, which would double the width the pooling and head see.
import * as tf from '@tensorflow/tfjs';
import { recordingContext, replayingContext, type ForwardContext } from '../nn/context.js';
import type { ReversibleBlock } from './reversible-block.js';
import { vjp } from '../nn/vjp.js';

/**
 * 'recompute': the memory-saving backward described above.
 * 'autodiff': the same function through tfjs's ordinary autodiff, which keeps every block's
 * activations: the reference the recomputing backward is checked against, and what it saves.
 */
export type ReversibleBackward = 'recompute' | 'autodiff';

export interface ReversibleStack {
  /** x [B, N, D] -> mean of the two output streams [B, N, D]. */
  apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D;
}

interface BlockSeeds {
  mix: readonly number[];
  feedForward: readonly number[];
}

/** The plain forward of one block: (x1, x2) -> (y1, y2). */
function blockForward(
  block: ReversibleBlock,
  x1: tf.Tensor3D,
  x2: tf.Tensor3D,
  mask: tf.Tensor2D | null,
  mixCtx: ForwardContext,
  feedForwardCtx: ForwardContext,
): [tf.Tensor3D, tf.Tensor3D] {
  return tf.tidy(() => {
    const y1 = tf.add(x1, block.mix(x2, mask, mixCtx)) as tf.Tensor3D;
    const y2 = tf.add(x2, block.feedForward(y1, feedForwardCtx)) as tf.Tensor3D;
    return [y1, y2];
  });
}

export function reversibleStack(blocks: readonly ReversibleBlock[], backward: ReversibleBackward = 'recompute'): ReversibleStack {
  const params = blocks.flatMap((block) => [...block.mixParams, ...block.feedForwardParams]);

  const autodiff = (x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D =>
    tf.tidy(() => {
      let x1 = x;
      let x2 = x;
      for (const block of blocks) [x1, x2] = blockForward(block, x1, x2, mask, ctx, ctx);
      return tf.mul(tf.add(x1, x2), 0.5) as tf.Tensor3D;
    });

  const recompute = (x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D => {
    const seeds: BlockSeeds[] = [];
    // The mask is an input of the mixers but needs no gradient: it travels in `saved`, which
    // outlives the forward pass, rather than among the differentiated inputs.
    const stack = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const input = args[0] as tf.Tensor3D;
      let x1: tf.Tensor3D = input;
      let x2: tf.Tensor3D = input;
      for (const block of blocks) {
        const mixDraws = recordingContext(ctx);
        const feedForwardDraws = recordingContext(ctx);
        const [y1, y2] = blockForward(block, x1, x2, mask, mixDraws.ctx, feedForwardDraws.ctx);
        // Only the last outputs are kept: the streams between blocks are rebuilt in the backward pass.
        if (x1 !== input) tf.dispose([x1, x2]);
        [x1, x2] = [y1, y2];
        seeds.push({ mix: mixDraws.seeds, feedForward: feedForwardDraws.seeds });
      }
      save(mask ? [x1, x2, mask] : [x1, x2]);
      const value = tf.mul(tf.add(x1, x2), 0.5) as tf.Tensor3D;
      return {
        value,
        gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) => backwardPass(dy, saved, seeds, ctx),
      };
    });
    return stack(x, ...params);
  };

  /** Gradients by [input, ...params], in the order the customGrad received them. */
  const backwardPass = (dy: tf.Tensor3D, saved: tf.Tensor[], seeds: readonly BlockSeeds[], ctx: ForwardContext): tf.Tensor[] => {
    const mask = (saved[2] as tf.Tensor2D | undefined) ?? null;
    const paramGrads = new Map<tf.Variable, tf.Tensor>();
    // The state between blocks: each block's output and the loss's gradient by it.
    let [y1, y2] = [saved[0] as tf.Tensor3D, saved[1] as tf.Tensor3D];
    let [dy1, dy2] = tf.tidy(() => {
      const half = tf.mul(dy, 0.5) as tf.Tensor3D;
      return [half, tf.clone(half)];
    });
    for (let i = blocks.length - 1; i >= 0; i--) {
      const block = blocks[i]!;
      const blockSeeds = seeds[i]!;
      const next = tf.tidy(() => {
        // Y2 = X2 + G(Y1): Y1 reaches the loss directly and through G.
        const g = vjp(() => block.feedForward(y1, replayingContext(ctx, blockSeeds.feedForward)), [y1, ...block.feedForwardParams], dy2);
        const x2 = tf.sub(y2, g.value) as tf.Tensor3D;
        const dY1 = tf.add(dy1, g.grads[0]!) as tf.Tensor3D;
        // Y1 = X1 + F(X2): X2 reaches the loss through Y2 and through F.
        const f = vjp(() => block.mix(x2, mask, replayingContext(ctx, blockSeeds.mix)), [x2, ...block.mixParams], dY1);
        const x1 = tf.sub(y1, f.value) as tf.Tensor3D;
        const dX2 = tf.add(dy2, f.grads[0]!) as tf.Tensor3D;
        const grads = [...f.grads.slice(1), ...g.grads.slice(1)];
        return { x1, x2, dX1: dY1, dX2, grads };
      });
      block.mixParams.forEach((p, k) => paramGrads.set(p, next.grads[k]!));
      block.feedForwardParams.forEach((p, k) => paramGrads.set(p, next.grads[block.mixParams.length + k]!));
      // The saved outputs belong to the engine, which releases them after the backward pass.
      if (y1 !== saved[0]) tf.dispose([y1, y2]);
      tf.dispose([dy1, dy2]);
      [y1, y2, dy1, dy2] = [next.x1, next.x2, next.dX1, next.dX2];
    }
    // Both streams started as the input.
    const dInput = tf.add(dy1, dy2);
    tf.dispose([y1, y2, dy1, dy2]);
    return [dInput, ...params.map((p) => paramGrads.get(p)!)];
  };

  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      return backward === 'autodiff' ? autodiff(x, mask, ctx) : recompute(x, mask, ctx);
    },
  };
}
