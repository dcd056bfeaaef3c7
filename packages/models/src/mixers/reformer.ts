// Reformer's LSH attention (Kitaev et al. 2020; trax efficient_attention, as ported to
// transformers' ReformerLSH): shared query/key projection, keys = unit-length queries (no further
// 1/sqrt(d)); angular LSH bucket = argmax([xR; -xR]) with R random [d, buckets/2]; positions
// stably sorted by (bucket, position); the sorted sequence is cut into chunks of bucketSize and
// each chunk attends to itself and the previous chunk (the first one to the last); a token
// attends to itself only when nothing else is there (score -5e4, not -inf); several hash rounds
// are combined with weights softmax over rounds of each round's logsumexp.
//
// Lengths: the sequence is padded to a multiple of the chunk (bucketSize, or N when shorter) with
// masked positions; buckets = number of chunks, rounded up to even (the hash needs buckets/2
// rotations), or 1 when there is one chunk. Padded and masked positions are hashed to a bucket of
// their own after every real one, so padding content never changes which real tokens share a
// chunk. The hashing is not differentiated (it is piecewise constant): it runs on a copy of the
// projected queries. Rotations are drawn from the context's seeds at every call (trax draws new
// ones per call); inference contexts hand out fixed seeds.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { dropout } from '../nn/dropout.js';
import { checkMask, headLayout, headLayoutProblem, headProjection, outputProjection } from './heads.js';
import { createLraReformer } from './reformer-lra.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface ReformerOptions {
  /** Width of the shared query/key and of values over all heads; null means dModel. */
  qkvDim: number | null;
  /** Chunk length, and about N / bucketSize hash buckets (the paper: 64). */
  bucketSize: number;
  /** Hash rounds. */
  hashes: number;
  /**
   * 'clean': the trax/transformers Reformer above. 'lra': what LRA's code computes
   * (reformer-lra.ts): keys are the raw shared queries, scores multiplied by sqrt(d), no self,
   * padding or dropout masks, 10 buckets, 1 hash, chunks of N / 10, a hash rotation fixed for every
   * layer and head, width dModel (qkvDim must be null or dModel), no output projection, and heads
   * merged by LRA's plain reshape. bucketSize and hashes are not read.
   */
  impl: 'clean' | 'lra';
}

/** Score a token gives itself: it attends to itself only when no other key is available. */
export const SELF_SCORE = -5e4;
const PADDED_SCORE = -1e9;
const UNIT_EPS = 1e-6;

export interface LshLayout {
  /** Chunk length (bucketSize, or N when the sequence is shorter). */
  chunk: number;
  chunks: number;
  /** Padded length, chunks * chunk. */
  padded: number;
  buckets: number;
}

export function lshLayout(length: number, bucketSize: number): LshLayout {
  const chunk = Math.min(bucketSize, length);
  const chunks = Math.ceil(length / chunk);
  const buckets = chunks === 1 ? 1 : chunks + (chunks % 2);
  return { chunk, chunks, padded: chunks * chunk, buckets };
}

/**
 * Sort order per (example-head, round): sortedPositions [BH*R, Np] int32 ascending by
 * (bucket, position), and its inverse. qk [BH, Np, d] is only read (not differentiated);
 * realKeys [BH, Np] float 0/1.
 */
export function lshSortOrder(
  qk: tf.Tensor3D,
  realKeys: tf.Tensor2D,
  hashes: number,
  buckets: number,
  seed: number,
): { sorted: tf.Tensor2D; inverse: tf.Tensor2D } {
  return tf.tidy(() => {
    const [bh, n, d] = qk.shape;
    // A copy made from values: nothing below is recorded for gradients.
    const values = tf.tensor2d(qk.dataSync(), [bh * n, d]);
    let bucket: tf.Tensor;
    if (buckets === 1) {
      bucket = tf.zeros([bh, n, hashes]);
    } else {
      const rotations = tf.randomNormal([d, hashes * (buckets / 2)], 0, 1, 'float32', seed);
      const rotated = tf.reshape(tf.matMul(values, rotations), [bh, n, hashes, buckets / 2]);
      bucket = tf.cast(tf.argMax(tf.concat([rotated, tf.neg(rotated)], 3), 3), 'float32');
    }
    const real = tf.reshape(tf.tensor2d(realKeys.dataSync(), [bh, n]), [bh, n, 1]);
    const withPadding = tf.add(tf.mul(bucket, real), tf.mul(tf.sub(1, real), buckets));
    const positions = tf.reshape(tf.range(0, n, 1, 'float32'), [1, n, 1]);
    const keys = tf.add(tf.mul(withPadding, n), positions); // unique per row: a stable order
    const rows = tf.reshape(tf.transpose(keys, [0, 2, 1]), [bh * hashes, n]);
    const sorted = tf.topk(tf.neg(rows), n).indices;
    const inverse = tf.topk(tf.neg(tf.cast(sorted, 'float32')), n).indices;
    return { sorted: sorted as tf.Tensor2D, inverse: inverse as tf.Tensor2D };
  });
}

/** Rows of x [BH, Np, c] taken in `order` [BH*R, Np] (row r uses x's example-head floor(r / R)). */
function gatherRows(x: tf.Tensor3D, order: tf.Tensor2D, hashes: number): tf.Tensor3D {
  const [bh, n, c] = x.shape;
  const int = (value: number) => tf.scalar(value, 'int32');
  const base = tf.reshape(tf.mul(tf.floorDiv(tf.range(0, bh * hashes, 1, 'int32'), int(hashes)), int(n)), [bh * hashes, 1]);
  const flat = tf.reshape(tf.add(order, base), [-1]);
  return tf.reshape(tf.gather(tf.reshape(x, [bh * n, c]), flat), [bh * hashes, n, c]);
}

/** The chunks before each chunk, the first one's being the last: [X, C, L, c] rolled by one. */
function previousChunks(x: tf.Tensor4D): tf.Tensor4D {
  const chunks = x.shape[1];
  if (chunks === 1) return x;
  return tf.concat([tf.slice(x, [0, chunks - 1, 0, 0], [-1, 1, -1, -1]), tf.slice(x, [0, 0, 0, 0], [-1, chunks - 1, -1, -1])], 1);
}

/**
 * What the chunked scores [BH*R, C, L, 2L] are multiplied by (0 where a query meets itself) and
 * then offset by (SELF_SCORE there, PADDED_SCORE at padded keys). Built in JavaScript from the
 * sort order: constants, and the wasm backend's broadcasting Equal took most of a step's time.
 */
function chunkMasks(
  sorted: Int32Array,
  real: ArrayLike<number>,
  hashes: number,
  layout: LshLayout,
): { keep: Float32Array; bias: Float32Array } {
  const { chunk, chunks, padded } = layout;
  const rows = sorted.length / padded;
  const keep = new Float32Array(rows * padded * 2 * chunk).fill(1);
  const bias = new Float32Array(keep.length);
  for (let row = 0; row < rows; row++) {
    const order = sorted.subarray(row * padded, (row + 1) * padded);
    const realBase = Math.floor(row / hashes) * padded;
    for (let c = 0; c < chunks; c++) {
      const previous = (c - 1 + chunks) % chunks;
      for (let t = 0; t < chunk; t++) {
        const query = order[c * chunk + t]!;
        const base = ((row * chunks + c) * chunk + t) * 2 * chunk;
        for (let s = 0; s < 2 * chunk; s++) {
          const key = order[(s < chunk ? c : previous) * chunk + (s % chunk)]!;
          if (key === query) {
            keep[base + s] = 0;
            bias[base + s] = SELF_SCORE;
          }
          if (real[realBase + key] === 0) bias[base + s] += PADDED_SCORE;
        }
      }
    }
  }
  return { keep, bias };
}

/**
 * log sum exp over the last axis, shifted by the row maximum. The result does not depend on the
 * shift, so its gradient through the maximum is exactly zero and is not taken: tfjs's
 * logSumExp differentiates its max with a broadcasting Equal, slow on wasm.
 */
function logSumExpLastAxis(x: tf.Tensor): tf.Tensor {
  const shift = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    return { value: tf.max(input, -1, true), gradFunc: () => tf.zerosLike(input) };
  })(x);
  return tf.add(tf.log(tf.sum(tf.exp(tf.sub(x, shift)), -1, true)), shift);
}

/**
 * LSH attention over heads: qk, v [BH, N, d], realKeys [BH, N] (1 real, 0 padding).
 * Returns [BH, N, d].
 */
export function lshAttentionHeads(
  qk: tf.Tensor3D,
  v: tf.Tensor3D,
  realKeys: tf.Tensor2D,
  options: { bucketSize: number; hashes: number; seed: number; attentionDropout?: number; ctx?: ForwardContext },
): tf.Tensor3D {
  return tf.tidy(() => {
    const [bh, length, d] = qk.shape;
    const { hashes } = options;
    const layout = lshLayout(length, options.bucketSize);
    const { chunk, chunks, padded } = layout;
    const pad = padded - length;
    const padSeq = <T extends tf.Tensor>(t: T): T =>
      (pad === 0 ? t : tf.pad(t, t.rank === 3 ? [[0, 0], [0, pad], [0, 0]] : [[0, 0], [0, pad]])) as T;
    const qkP = padSeq(qk);
    const vP = padSeq(v);
    const realP = padSeq(realKeys);
    const { sorted, inverse } = lshSortOrder(qkP, realP, hashes, layout.buckets, options.seed);

    const keysUnit = tf.div(qkP, tf.sqrt(tf.add(tf.sum(tf.square(qkP), 2, true), UNIT_EPS))) as tf.Tensor3D;
    const toChunks = (t: tf.Tensor3D): tf.Tensor4D => tf.reshape(t, [bh * hashes, chunks, chunk, t.shape[2]]);
    const withPrevious = (t: tf.Tensor4D): tf.Tensor4D => tf.concat([t, previousChunks(t)], 2);

    const q = toChunks(gatherRows(qkP, sorted, hashes));
    const k = withPrevious(toChunks(gatherRows(keysUnit, sorted, hashes)));
    const values = withPrevious(toChunks(gatherRows(vP, sorted, hashes)));

    const rows = bh * hashes * chunks;
    const q3 = tf.reshape(q, [rows, chunk, d]);
    const kT3 = tf.reshape(tf.transpose(k, [0, 1, 3, 2]), [rows, d, 2 * chunk]);
    let scores: tf.Tensor = tf.reshape(tf.matMul(q3, kT3), [bh * hashes, chunks, chunk, 2 * chunk]);
    const { keep, bias } = chunkMasks(sorted.dataSync() as Int32Array, realP.dataSync(), hashes, layout);
    const shape: [number, number, number, number] = [bh * hashes, chunks, chunk, 2 * chunk];
    scores = tf.add(tf.mul(scores, tf.tensor4d(keep, shape)), tf.tensor4d(bias, shape));

    const logits = logSumExpLastAxis(scores); // [BH*R, C, L, 1]
    let weights: tf.Tensor = tf.exp(tf.sub(scores, logits));
    if (options.ctx && options.attentionDropout) weights = dropout(weights, options.attentionDropout, options.ctx);
    const mixed = tf.matMul(
      tf.reshape(weights, [rows, chunk, 2 * chunk]),
      tf.reshape(values, [rows, 2 * chunk, d]),
    );
    const outSorted = tf.reshape(mixed, [bh * hashes, padded, d]);
    const logitsSorted = tf.reshape(logits, [bh * hashes, padded, 1]);
    // Back to sequence order: gathering rows by the inverse permutation.
    const base = tf.reshape(tf.mul(tf.range(0, bh * hashes, 1, 'int32'), tf.scalar(padded, 'int32')), [bh * hashes, 1]);
    const flat = tf.reshape(tf.add(inverse, base), [-1]);
    const out = tf.reshape(tf.gather(tf.reshape(outSorted, [-1, d]), flat), [bh, hashes, padded, d]);
    const roundLogits = tf.reshape(tf.gather(tf.reshape(logitsSorted, [-1, 1]), flat), [bh, hashes, padded, 1]);
    const roundWeights = tf.softmax(tf.transpose(roundLogits, [0, 3, 2, 1])); // over rounds
    const combined = tf.sum(tf.mul(out, tf.transpose(roundWeights, [0, 3, 2, 1])), 1);
    return tf.slice(combined, [0, 0, 0], [bh, length, d]) as tf.Tensor3D;
  });
}

function createReformer(args: MixerArgs, options: ReformerOptions): Mixer {
  const layout = headLayout(args, options.qkvDim);
  const queryKey = headProjection(args, 'queryKey', layout);
  const value = headProjection(args, 'value', layout);
  const output = outputProjection(args, layout);
  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      checkMask('reformer', x, mask);
      const seed = ctx.nextSeed();
      return tf.tidy(() => {
        const [batch, length] = x.shape;
        const real = mask ?? tf.ones([batch, length]);
        const realKeys = tf.reshape(tf.tile(tf.reshape(real, [batch, 1, length]), [1, layout.heads, 1]), [
          batch * layout.heads,
          length,
        ]) as tf.Tensor2D;
        const mixed = lshAttentionHeads(queryKey.heads(x), value.heads(x), realKeys, {
          bucketSize: options.bucketSize,
          hashes: options.hashes,
          seed,
          attentionDropout: args.attentionDropout,
          ctx,
        });
        return output(mixed);
      });
    },
  };
}

export const reformer: MixerSpec<ReformerOptions> = {
  name: 'reformer',
  title: 'Reformer (LSH attention)',
  paper: 'Kitaev, Kaiser and Levskaya, "Reformer: The Efficient Transformer", ICLR 2020',
  kind: 'attention',
  defaults: { qkvDim: null, bucketSize: 64, hashes: 2, impl: 'clean' },
  choices: { impl: ['clean', 'lra'] },
  create: (args, options) => (options.impl === 'lra' ? createLraReformer(args) : createReformer(args, options)),
  validate(args, options) {
    if (options.impl === 'lra') {
      if (options.qkvDim !== null && options.qkvDim !== args.dModel) {
        return `impl 'lra' projects to dModel ${args.dModel} (LRA's reformer ignores qkv_dim); qkvDim must be null or ${args.dModel}, got ${options.qkvDim}`;
      }
      return headLayoutProblem(args, null);
    }
    if (!Number.isInteger(options.bucketSize) || options.bucketSize < 1) {
      return `bucketSize must be a positive integer, got ${options.bucketSize}`;
    }
    if (!Number.isInteger(options.hashes) || options.hashes < 1) {
      return `hashes must be a positive integer, got ${options.hashes}`;
    }
    return headLayoutProblem(args, options.qkvDim);
  },
};
