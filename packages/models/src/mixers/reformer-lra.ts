// Reformer's attention as LRA's code computes it (models/reformer/reformer_attention.py with the
// defaults its ReformerBlock leaves: 10 buckets, 1 hash, chunk_len 10). The reformer's impl 'lra'.
//
// - The sequence gets chunk_len - (N mod chunk_len) zero vectors at its end (10 when N is already
//   a multiple), which the projections (no bias) map to zero queries and values. Np is the result.
// - Queries and values are projected to dModel (LRA overrides qkv_dim with the input's width);
//   keys are the raw shared queries: no unit length, no self-mask, no padding mask (the padding
//   mask reaches the layer but is never read), no attention dropout, no output projection.
// - Hash: argmax over [qR; -qR] with R [d, 5] Gaussian from JAX's PRNGKey(0), drawn afresh in
//   every layer and head from the same key, so the same R everywhere. JAX's generator cannot be
//   reproduced here: R is a fixed Gaussian draw of our own, a function of the head width only.
//   A zero vector (the appended tail) lands in bucket 0 (argmax takes the first of equal values).
// - Positions are sorted by bucket * Np + position (unique keys: ties keep position order) and
//   cut into 10 chunks of Np / 10 (n_hashes * n_buckets chunks); each chunk attends to itself
//   and the chunk before it (the first to the last), scores q.k multiplied by sqrt(d) (not
//   divided), softmax. With one hash the rounds' logsumexp weighting is exactly 1.
// - The heads [B, H, Np, d] are reshaped straight to [B, Np, H d] without moving the head axis
//   (the reference's reshape), so output row t holds a slice of some head's rows, not the heads
//   of token t; then the first N rows are kept.
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import type { ForwardContext } from '../nn/context.js';
import { normal } from '../nn/initializers.js';
import { checkMask, headLayout, headProjection } from './heads.js';
import type { Mixer, MixerArgs } from './types.js';

export const LRA_BUCKETS = 10;
export const LRA_CHUNK_LEN = 10;

/** The padded length: chunk_len - (n mod chunk_len) more positions, between 1 and chunk_len. */
export function lraPaddedLength(length: number): number {
  return length + LRA_CHUNK_LEN - (length % LRA_CHUNK_LEN);
}

/** The fixed rotation [headDim, buckets / 2] (row-major), the same in every layer and head. */
export function lraRotation(headDim: number): Float32Array {
  return normal(1).sample([headDim, LRA_BUCKETS / 2], seedrandom.alea(`reformer-lra/rotation/${headDim}`));
}

/**
 * Buckets [rows, n] of vectors qk [rows, n, d] (row-major) under `rotation` [d, buckets / 2]:
 * argmax of [qR; -qR], the first of equal values.
 */
export function lraBuckets(qk: ArrayLike<number>, rows: number, n: number, d: number, rotation: ArrayLike<number>): Int32Array {
  const half = LRA_BUCKETS / 2;
  const buckets = new Int32Array(rows * n);
  const rotated = new Float64Array(half);
  for (let t = 0; t < rows * n; t++) {
    rotated.fill(0);
    for (let c = 0; c < d; c++) {
      const value = qk[t * d + c]!;
      for (let j = 0; j < half; j++) rotated[j]! += value * rotation[c * half + j]!;
    }
    let best = 0;
    let bestValue = rotated[0]!;
    for (let j = 1; j < LRA_BUCKETS; j++) {
      const candidate = j < half ? rotated[j]! : -rotated[j - half]!;
      if (candidate > bestValue) {
        best = j;
        bestValue = candidate;
      }
    }
    buckets[t] = best;
  }
  return buckets;
}

/** Per row, positions sorted by (bucket, position) and the inverse permutation, as flat row-offset indices. */
function sortByBucket(buckets: Int32Array, rows: number, n: number): { order: Int32Array; inverse: Int32Array } {
  const order = new Int32Array(rows * n);
  const inverse = new Int32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const start = new Int32Array(LRA_BUCKETS + 1);
    for (let t = 0; t < n; t++) start[buckets[r * n + t]! + 1]!++;
    for (let b = 0; b < LRA_BUCKETS; b++) start[b + 1]! += start[b]!;
    for (let t = 0; t < n; t++) {
      const slot = start[buckets[r * n + t]!]!++;
      order[r * n + slot] = r * n + t;
      inverse[r * n + t] = r * n + slot;
    }
  }
  return { order, inverse };
}

/** Each chunk followed by the one before it (the first by the last): [X, C, L, d] -> [X, C, 2L, d]. */
function withPreviousChunk(x: tf.Tensor4D): tf.Tensor4D {
  const chunks = x.shape[1];
  const previous = tf.concat([tf.slice(x, [0, chunks - 1, 0, 0], [-1, 1, -1, -1]), tf.slice(x, [0, 0, 0, 0], [-1, chunks - 1, -1, -1])], 1);
  return tf.concat([x, previous], 2);
}

/**
 * LSH attention of one hash round over heads, queries = keys qk [BH, Np, d], values v [BH, Np, d],
 * Np a multiple of LRA_BUCKETS; `rotation` [d, buckets / 2]. Returns [BH, Np, d].
 */
export function lraLshHeads(qk: tf.Tensor3D, v: tf.Tensor3D, rotation: ArrayLike<number>): tf.Tensor3D {
  return tf.tidy(() => {
    const [bh, n, d] = qk.shape;
    const chunk = n / LRA_BUCKETS;
    const { order, inverse } = sortByBucket(lraBuckets(qk.dataSync(), bh, n, d, rotation), bh, n);
    const permute = (t: tf.Tensor3D, indices: Int32Array): tf.Tensor3D =>
      tf.reshape(tf.gather(tf.reshape(t, [bh * n, d]), tf.tensor1d(indices, 'int32')), [bh, n, d]);
    const queries = tf.reshape(permute(qk, order), [bh, LRA_BUCKETS, chunk, d]) as tf.Tensor4D;
    const values = withPreviousChunk(tf.reshape(permute(v, order), [bh, LRA_BUCKETS, chunk, d]) as tf.Tensor4D);
    const keys = withPreviousChunk(queries);
    const rows = bh * LRA_BUCKETS;
    const scores = tf.mul(
      tf.matMul(tf.reshape(queries, [rows, chunk, d]) as tf.Tensor3D, tf.reshape(tf.transpose(keys, [0, 1, 3, 2]), [rows, d, 2 * chunk]) as tf.Tensor3D),
      Math.sqrt(d),
    );
    const mixed = tf.matMul(tf.softmax(scores) as tf.Tensor3D, tf.reshape(values, [rows, 2 * chunk, d]) as tf.Tensor3D);
    return permute(tf.reshape(mixed, [bh, n, d]), inverse);
  });
}

/** The reformer's impl 'lra'; `rotation` [headDim, 5] replaces the fixed one (tests pass the reference's). */
export function createLraReformer(args: MixerArgs, rotation?: ArrayLike<number>): Mixer {
  const layout = headLayout(args, null);
  const fixedRotation = rotation ?? lraRotation(layout.headDim);
  const queryKey = headProjection(args, 'queryKey', layout);
  const value = headProjection(args, 'value', layout);
  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, _ctx: ForwardContext): tf.Tensor3D {
      checkMask('reformer', x, mask);
      return tf.tidy(() => {
        const [batch, length] = x.shape;
        const padded = lraPaddedLength(length);
        const xP = tf.pad(x, [[0, 0], [0, padded - length], [0, 0]]);
        const mixed = lraLshHeads(queryKey.heads(xP), value.heads(xP), fixedRotation);
        // [B*H, Np, d] holds [B, H, Np, d] in order: read it as [B, Np, H d], as the reference does.
        const rows = tf.reshape(mixed, [batch, padded, layout.width]);
        return tf.slice(rows, [0, 0, 0], [batch, length, layout.width]) as tf.Tensor3D;
      });
    },
  };
}
