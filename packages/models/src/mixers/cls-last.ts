// A causal operator gives a CLS token in front nothing but itself to read. Causal mixers (hyena,
// long-conv) can instead run with the CLS token moved behind the tokens, so that it reads the
// whole sequence, and moved back to the front afterwards.
import * as tf from '@tensorflow/tfjs';

/** Moves position 0 of axis 1 to the end (toEnd) or the last position to the front. */
export function rotatePositions<T extends tf.Tensor>(t: T, toEnd: boolean): T {
  const length = t.shape[1]!;
  if (length < 2) return t;
  const cut = toEnd ? 1 : length - 1;
  const begin = new Array<number>(t.rank).fill(0);
  const head = tf.slice(t, begin, [-1, cut]);
  const tail = tf.slice(t, [0, cut, ...begin.slice(2)], [-1, length - cut]);
  return tf.concat([tail, head], 1) as T;
}

/** operator(x, mask) run with position 0 (the CLS token) moved last, its output moved back. */
export function withClsLast(
  operator: (x: tf.Tensor3D, mask: tf.Tensor2D | null) => tf.Tensor3D,
  x: tf.Tensor3D,
  mask: tf.Tensor2D | null,
): tf.Tensor3D {
  return tf.tidy(() => rotatePositions(operator(rotatePositions(x, true), mask ? rotatePositions(mask, true) : null), false));
}
