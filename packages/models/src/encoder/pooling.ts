import * as tf from '@tensorflow/tfjs';

/**
 * The CLS token's vector: position 0. [B, N, D] -> [B, D]. Also the 'first' pooling, which reads
 * position 0 without a prepended CLS token (LRA's dual encoder: its 'CLS' pooling reads the
 * first real token because its encoder prepends none).
 */
export function poolCls(x: tf.Tensor3D): tf.Tensor2D {
  const [batch, , dim] = x.shape;
  return tf.reshape(tf.slice(x, [0, 0, 0], [batch, 1, dim]), [batch, dim]);
}

/**
 * Mean over real tokens only, so padding never changes the result. (LRA's MEAN pooling averages
 * over every position, padding included: poolMeanAll.) mask null: a plain mean. An all-padding
 * row gives 0.
 */
export function poolMean(x: tf.Tensor3D, mask: tf.Tensor2D | null): tf.Tensor2D {
  return tf.tidy(() => {
    if (!mask) return tf.mean(x, 1) as tf.Tensor2D;
    const weights = tf.expandDims(mask, 2);
    const total = tf.sum(tf.mul(x, weights), 1);
    const count = tf.maximum(tf.sum(mask, 1, true), 1);
    return tf.div(total, count) as tf.Tensor2D;
  });
}

/**
 * LRA's MEAN pooling (common_layers.classifier_head: jnp.mean over axis 1): the mean over every
 * position, padding included, so the result depends on how far a row is padded.
 */
export function poolMeanAll(x: tf.Tensor3D): tf.Tensor2D {
  return tf.mean(x, 1) as tf.Tensor2D;
}
