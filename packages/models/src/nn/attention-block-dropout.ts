// Attention dropout on a block of the weights, with the dense path's mask (see
// backend/fused/attention-dropout-block.ts): one kernel on cpu and wasm, a mask made in
// JavaScript and a product elsewhere. Not differentiable itself: blockedAttention's gradient
// applies the same mask to the gradient with the pair form.
import * as tf from '@tensorflow/tfjs';
import {
  ATTENTION_DROPOUT_BLOCK_KERNEL,
  ATTENTION_DROPOUT_BLOCK_PAIR_KERNEL,
  attentionBlockMask,
  type AttentionBlockAttrs,
} from '../backend/fused/attention-dropout-block.js';
import { activeBackendHas } from '../backend/fused/register.js';

/** x [B*H, Bq, Bk] with the block's dropout mask applied (and kept elements scaled by 1 / (1 - rate)). */
export function attentionBlockDropout(x: tf.Tensor3D, attrs: AttentionBlockAttrs): tf.Tensor3D {
  if (activeBackendHas(ATTENTION_DROPOUT_BLOCK_KERNEL)) {
    return tf.engine().runKernel(ATTENTION_DROPOUT_BLOCK_KERNEL, { x }, { ...attrs }) as tf.Tensor3D;
  }
  return tf.tidy(() => tf.mul(x, tf.tensor(attentionBlockMask(x.shape, attrs), x.shape, 'float32')));
}

/** x and y, two blocks of the same place, with the same mask. */
export function attentionBlockDropoutPair(x: tf.Tensor3D, y: tf.Tensor3D, attrs: AttentionBlockAttrs): [tf.Tensor3D, tf.Tensor3D] {
  if (activeBackendHas(ATTENTION_DROPOUT_BLOCK_PAIR_KERNEL)) {
    return tf.engine().runKernel(ATTENTION_DROPOUT_BLOCK_PAIR_KERNEL, { x, y }, { ...attrs }) as unknown as [tf.Tensor3D, tf.Tensor3D];
  }
  return tf.tidy(() => {
    const mask = tf.tensor(attentionBlockMask(x.shape, attrs), x.shape, 'float32');
    return [tf.mul(x, mask), tf.mul(y, mask)] as [tf.Tensor3D, tf.Tensor3D];
  });
}
