// FAVOR+'s positive softmax-kernel feature map (google-research/performer fast_attention/jax),
// shared by the performer mixer's clean and LRA implementations:
//   phi(x) = m^{-1/2} (exp(W x' - |x'|^2 / 2 - stabiliser) + eps),   x' = x d^{-1/4}.
import * as tf from '@tensorflow/tfjs';

// The reference's numerical stabiliser added to every feature.
export const FAVOR_EPS = 1e-4;
const MASKED_PROJECTION = -1e9;

/**
 * The row maxima of x [rows, cols] ([rows, 1]), with the gradient sent to each row's first
 * maximal element, as jax and TensorFlow differentiate max. tfjs's own Max gradient (an equality
 * mask against the broadcast maxima) made a training step three times slower.
 */
function rowMax(x: tf.Tensor2D): tf.Tensor2D {
  const cols = x.shape[1];
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([input]);
    return {
      value: tf.max(input, 1, true),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        // oneHot is made int32 and cast: the wasm backend's float32 OneHot writes integer bits.
        tf.mul(tf.cast(tf.oneHot(tf.argMax(saved[0]!, 1), cols), 'float32'), dy as tf.Tensor),
    };
  })(x) as tf.Tensor2D;
}

/**
 * Positive softmax-kernel features of x [BH, N, d] for the feature matrix w [m, d].
 * keyMask [BH, N, 1] marks the real keys; null for queries and unmasked keys. eps is the
 * stabiliser added to every feature (the reference's 1e-4; LRA's fork passes 1e-6).
 */
export function favorFeatures(
  x: tf.Tensor3D,
  w: tf.Tensor2D,
  isQuery: boolean,
  keyMask: tf.Tensor3D | null,
  eps: number = FAVOR_EPS,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [bh, n, d] = x.shape;
    const m = w.shape[0];
    const scaled = tf.mul(x, Math.pow(d, -0.25));
    const projected = tf.reshape(tf.matMul(tf.reshape(scaled, [bh * n, d]), w, false, true), [bh, n, m]);
    const halfNorm = tf.mul(tf.sum(tf.square(scaled), 2, true), 0.5);
    let stabiliser: tf.Tensor;
    if (isQuery) {
      stabiliser = tf.reshape(rowMax(tf.reshape(projected, [bh * n, m])), [bh, n, 1]);
    } else {
      const candidates = keyMask ? tf.add(projected, tf.mul(tf.sub(1, keyMask), MASKED_PROJECTION)) : projected;
      stabiliser = tf.reshape(rowMax(tf.reshape(candidates, [bh, n * m])), [bh, 1, 1]);
    }
    const features = tf.mul(tf.add(tf.exp(tf.sub(tf.sub(projected, halfNorm), stabiliser)), eps), 1 / Math.sqrt(m));
    return (keyMask ? tf.mul(features, keyMask) : features) as tf.Tensor3D;
  });
}
