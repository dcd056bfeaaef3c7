import * as tf from '@tensorflow/tfjs';

/**
 * float32 [B, N]: 1 for a real token, 0 for padding. Padding is id 0 (what batches are padded
 * with) and any other id in `paddingIds`: LRA's image models mask grey level 0 as padding
 * (transformer.py: inputs > 0), which is id 1 where ids are grey level + 1.
 */
export function paddingMask(tokens: tf.Tensor2D, paddingIds: readonly number[] = [0]): tf.Tensor2D {
  return tf.tidy(() => {
    let real = tf.notEqual(tokens, 0);
    for (const id of paddingIds) if (id !== 0) real = tf.logicalAnd(real, tf.notEqual(tokens, id));
    return tf.cast(real, 'float32') as tf.Tensor2D;
  });
}
