// The rows of padded queries as LRA's Transformer computes them (impl 'lra' of attention.ts).
//
// LRA's attention (flax.deprecated.nn.SelfAttention) masks a pair (i, j) unless both tokens are
// real (mask = q_mask * k_mask) with an additive bias of -1e10, and normalises with softmax
// (exp(x - max) / sum). A padded query has every key masked: in float32 each of its scores
// s_ij - 1e10 rounds to -1e10 (one ulp there is 1024, far above any score), so its weights are
// exactly uniform over all N keys, padded ones included, and its output is the mean of every
// value. Its gradient is still that of softmax at those uniform weights (autodiff takes the bias
// addition as the identity): dL/ds_ij = (g_i . v_j - mean_l g_i . v_l) / N, reaching q_i and k_j.
// (Two assumptions, stated: scores below 512 in size, else the rounded row is no longer uniform;
// and flax.deprecated's softmax. The older flax.nn normalised by exp(x - logsumexp(x)), where
// -1e10 + log N rounds back to -1e10 and every weight of such a row is 1, a sum, not a mean.)
//
// Both are reproduced without the [N, N] weights, so that the blocked path can use them too:
//   out_i = mean_j v_j + G_i,  G_i = T_i - T_i (zero) with the gradient of
//   T_i = (1/N) sum_j (s_ij - mean_l s_il) v'_j = (1/N) (q_i^T (K^T V') - (q_i . kbar) sum_j v'_j),
// where v' is v without a gradient: the first-order term of softmax around uniform weights, whose
// gradient with respect to s is exactly softmax's there. Real queries are unaffected (their
// masked keys weigh exp(-1e10) = 0 either way).
import * as tf from '@tensorflow/tfjs';

/** x's value, with no gradient flowing back into x. */
function withoutGradient<T extends tf.Tensor>(x: T): T {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    return { value: tf.clone(input), gradFunc: () => tf.zerosLike(input) };
  })(x) as T;
}

/** Zero, with x's gradient: adds a term's gradient to a result without changing its value. */
function gradientOnly<T extends tf.Tensor>(x: T): T {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    return { value: tf.zerosLike(input), gradFunc: (dy: tf.Tensor) => tf.clone(dy) };
  })(x) as T;
}

/**
 * LRA's output of every query row as if it were padded: [BH, N, d], from scaled queries
 * q3 [BH, N, d], keys laid out kT3 [BH, d, N] and values v3 [BH, N, d]. Call inside tf.tidy.
 */
export function paddedQueryRows(q3: tf.Tensor3D, kT3: tf.Tensor3D, v3: tf.Tensor3D): tf.Tensor3D {
  const length = v3.shape[1];
  const meanValue = tf.mean(v3, 1, true); // [BH, 1, d]
  const fixedValues = withoutGradient(v3);
  const keyValue = tf.matMul(kT3, fixedValues); // [BH, d, d]
  const meanKey = tf.mean(kT3, 2, true); // [BH, d, 1]
  const centred = tf.sub(tf.matMul(q3, keyValue), tf.mul(tf.matMul(q3, meanKey), tf.sum(fixedValues, 1, true)));
  const firstOrder = tf.div(centred, length) as tf.Tensor3D;
  return tf.add(meanValue, gradientOnly(firstOrder)) as tf.Tensor3D;
}

/**
 * mixed [BH, N, d] (softmax attention over real keys, any implementation) with the rows of padded
 * queries replaced by LRA's: mask [B, N], 1 real, 0 padding. Call inside tf.tidy.
 */
export function withLraPaddedRows(
  mixed: tf.Tensor3D,
  heads: { q3: tf.Tensor3D; kT3: tf.Tensor3D; v3: tf.Tensor3D },
  mask: tf.Tensor2D,
  headCount: number,
): tf.Tensor3D {
  const [batch, length] = mask.shape;
  const real = tf.reshape(tf.tile(tf.reshape(mask, [batch, 1, length, 1]), [1, headCount, 1, 1]), [batch * headCount, length, 1]);
  const padded = paddedQueryRows(heads.q3, heads.kT3, heads.v3);
  return tf.add(tf.mul(mixed, real), tf.mul(padded, tf.sub(1, real))) as tf.Tensor3D;
}

/** Sets the weights [B, H, N, N] of padded queries (mask [B, N]) to LRA's uniform 1/N, in place. */
export function uniformPaddedRows(weights: Float32Array, mask: ArrayLike<number>, heads: number, length: number): void {
  const batch = mask.length / length;
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < length; i++) {
      if (mask[b * length + i] !== 0) continue;
      for (let h = 0; h < heads; h++) weights.fill(1 / length, ((b * heads + h) * length + i) * length, ((b * heads + h) * length + i + 1) * length);
    }
  }
}
