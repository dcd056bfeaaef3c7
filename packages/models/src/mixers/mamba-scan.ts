// The linear recurrence h_t = a_t h_{t-1} + b_t (h_{-1} = 0) as a parallel associative scan,
// built from whole-tensor ops so that it differentiates like any other tfjs program.
import * as tf from '@tensorflow/tfjs';

/** x [B, 2P, W] -> the even and the odd positions, each [B, P, W]. */
function evenOdd(x: tf.Tensor3D): [tf.Tensor3D, tf.Tensor3D] {
  const [batch, length, width] = x.shape;
  const pairs = length / 2;
  // One transpose puts the pair index first, so both halves are contiguous slices (a strided
  // slice is several times slower than a transpose on wasm).
  const split = tf.transpose(tf.reshape(x, [batch, pairs, 2, width]), [2, 0, 1, 3]);
  const [even, odd] = tf.unstack(split, 0) as [tf.Tensor3D, tf.Tensor3D];
  return [even, odd];
}

/**
 * All states h_t, t < L, of h_t = a_t h_{t-1} + b_t for a, b [B, L, W] (recurrence along axis
 * 1). The operator (a1, b1) o (a2, b2) = (a1 a2, a2 b1 + b2) is associative, so the scan runs
 * as jax.lax.associative_scan does (the recursive odd-even form of Blelloch's scan): combine
 * neighbouring pairs, scan the half-length sequence, then fill in the even positions. Depth
 * O(log L) and work O(L), where Hillis-Steele would do O(L log L) work and keep log L
 * full-size intermediates for the gradient. Call inside tf.tidy.
 */
export function associativeScan(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const [batch, length, width] = b.shape;
  if (length === 1) return b;
  // An odd length gets one identity element (a = 1, b = 0) at the end, removed afterwards.
  const odd = length % 2;
  const [aEven, aOdd] = evenOdd(odd ? tf.pad(a, [[0, 0], [0, 1], [0, 0]], 1) : a);
  const [bEven, bOdd] = evenOdd(odd ? tf.pad(b, [[0, 0], [0, 1], [0, 0]]) : b);
  const pairs = (length + odd) / 2;
  // State after each odd position: h_{2i+1} = aOdd (aEven h_{2i-1} + bEven) + bOdd.
  const atOdd = associativeScan(tf.mul(aEven, aOdd), tf.add(tf.mul(aOdd, bEven), bOdd));
  // h_{2i} = aEven h_{2i-1} + bEven, with h_{-1} = 0.
  const before = tf.pad(tf.slice(atOdd, [0, 0, 0], [batch, pairs - 1, width]), [[0, 0], [1, 0], [0, 0]]);
  const atEven = tf.add(tf.mul(aEven, before), bEven);
  const states = tf.reshape(tf.stack([atEven, atOdd], 2), [batch, 2 * pairs, width]) as tf.Tensor3D;
  return odd ? tf.slice(states, [0, 0, 0], [batch, length, width]) : states;
}
