// Nystromformer (Xiong et al. 2021; mlpen/Nystromformer, nystrom_attention.py): softmax attention
// approximated through m landmarks, the segment means of queries and keys:
//   out = softmax(Q K~^T) pinv(softmax(Q~ K~^T)) softmax(Q~ K^T) V,   Q, K scaled by d^{-1/4},
// pinv by Newton-Schulz iterations Z <- Z (13I - KZ (15I - KZ (7I - KZ))) / 4 from
// Z0 = K^T / (max column sum * max row sum), plus an optional depthwise convolution of V along the
// sequence (one kernel per head, as the reference's Conv2d with groups = heads) as a skip path.
//
// Padding as the reference: padded query and key rows are zeroed before the landmarks are taken,
// and padded keys are masked out of softmax(Q~ K^T); V is zeroed at padding before the
// convolution. The reference reshapes the sequence into m equal segments, so it needs N divisible
// by m; here segment s covers positions [floor(s N / m), floor((s + 1) N / m)), which is the same
// thing when m divides N and gives segments whose lengths differ by at most one otherwise.
// Z0 is scaled per example and head (the reference's "original" option takes one maximum over
// the whole batch, which would make an example's output depend on its batch-mates).
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { dropout } from '../nn/dropout.js';
import { uniform } from '../nn/initializers.js';
import {
  checkMask,
  headLayout,
  headLayoutProblem,
  headProjection,
  keyMaskPerHead,
  outputProjection,
} from './heads.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface NystromformerOptions {
  /** Width of queries, keys and values over all heads; null means dModel. */
  qkvDim: number | null;
  /** Number of landmarks m (at most the sequence length). */
  landmarks: number;
  /** Newton-Schulz iterations of the pseudo-inverse (the reference: 6). */
  pinvIterations: number;
  /** Odd kernel length of the depthwise convolution skip on V (the reference: 35); null for none. */
  convKernel: number | null;
}

const MASKED_SCORE = -1e9;

/** The [m, N] matrix whose row s averages the positions of segment s. */
export function segmentMeanMatrix(landmarks: number, length: number): Float32Array {
  const matrix = new Float32Array(landmarks * length);
  for (let s = 0; s < landmarks; s++) {
    const start = Math.floor((s * length) / landmarks);
    const end = Math.floor(((s + 1) * length) / landmarks);
    for (let n = start; n < end; n++) matrix[s * length + n] = 1 / (end - start);
  }
  return matrix;
}

/** Segment means of x [BH, N, d] -> [BH, m, d], as one 2-D product. */
function segmentMeans(x: tf.Tensor3D, averaging: tf.Tensor2D): tf.Tensor3D {
  const [bh, n, d] = x.shape;
  const m = averaging.shape[0];
  const columns = tf.reshape(tf.transpose(x, [1, 0, 2]), [n, bh * d]);
  return tf.transpose(tf.reshape(tf.matMul(averaging, columns), [m, bh, d]), [1, 0, 2]);
}

/** Newton-Schulz pseudo-inverse of each matrix of k [BH, m, m]. */
export function newtonSchulzPinv(k: tf.Tensor3D, iterations: number): tf.Tensor3D {
  return tf.tidy(() => {
    const m = k.shape[1];
    const identity = tf.eye(m);
    const maxColumnSum = tf.max(tf.sum(tf.abs(k), 1), 1);
    const maxRowSum = tf.max(tf.sum(tf.abs(k), 2), 1);
    let z: tf.Tensor3D = tf.div(tf.transpose(k, [0, 2, 1]), tf.reshape(tf.mul(maxColumnSum, maxRowSum), [-1, 1, 1]));
    for (let i = 0; i < iterations; i++) {
      const kz = tf.matMul(k, z);
      const inner = tf.matMul(kz, tf.sub(tf.mul(identity, 7), kz));
      const middle = tf.matMul(kz, tf.sub(tf.mul(identity, 15), inner));
      z = tf.matMul(tf.mul(z, 0.25), tf.sub(tf.mul(identity, 13), middle));
    }
    return z;
  });
}

/**
 * Nystrom attention over heads (without the convolution): q, k, v [BH, N, d] unscaled,
 * keyMask [BH, N, 1] or null.
 */
export function nystromAttentionHeads(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  keyMask: tf.Tensor3D | null,
  options: { landmarks: number; pinvIterations: number; attentionDropout?: number; ctx?: ForwardContext },
): tf.Tensor3D {
  return tf.tidy(() => {
    const [bh, n, d] = q.shape;
    const scale = Math.pow(d, -0.25);
    let qs: tf.Tensor3D = tf.mul(q, scale);
    let ks: tf.Tensor3D = tf.mul(k, scale);
    if (keyMask) {
      qs = tf.mul(qs, keyMask);
      ks = tf.mul(ks, keyMask);
    }
    const averaging = tf.tensor2d(segmentMeanMatrix(options.landmarks, n), [options.landmarks, n]);
    const qLandmarks = segmentMeans(qs, averaging);
    const kLandmarks = segmentMeans(ks, averaging);
    const kLandmarksT = tf.transpose(kLandmarks, [0, 2, 1]);
    const queryToLandmarks = tf.softmax(tf.matMul(qs, kLandmarksT)); // [BH, N, m]
    const landmarkKernel = tf.softmax(tf.matMul(qLandmarks, kLandmarksT)) as tf.Tensor3D; // [BH, m, m]
    let landmarkScores: tf.Tensor = tf.matMul(qLandmarks, tf.transpose(ks, [0, 2, 1])); // [BH, m, N]
    if (keyMask) landmarkScores = tf.add(landmarkScores, tf.mul(tf.sub(1, tf.reshape(keyMask, [bh, 1, n])), MASKED_SCORE));
    let landmarksToKeys: tf.Tensor = tf.softmax(landmarkScores);
    if (options.ctx && options.attentionDropout) landmarksToKeys = dropout(landmarksToKeys, options.attentionDropout, options.ctx);
    const pinv = newtonSchulzPinv(landmarkKernel, options.pinvIterations);
    return tf.matMul(tf.matMul(queryToLandmarks, pinv), tf.matMul(landmarksToKeys as tf.Tensor3D, v)) as tf.Tensor3D;
  });
}

function createNystromformer(args: MixerArgs, options: NystromformerOptions): Mixer {
  const layout = headLayout(args, options.qkvDim);
  const query = headProjection(args, 'query', layout);
  const key = headProjection(args, 'key', layout);
  const value = headProjection(args, 'value', layout);
  const output = outputProjection(args, layout);
  const size = options.convKernel;
  // PyTorch's Conv2d default: U(+-1/sqrt(fanIn)), fanIn = the kernel length (one channel per group).
  const conv =
    size === null
      ? null
      : args.params.add('conv/kernel', [size, 1, layout.heads, 1], uniform(-1 / Math.sqrt(size), 1 / Math.sqrt(size)));
  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      checkMask('nystromformer', x, mask);
      return tf.tidy(() => {
        const [batch, length] = x.shape;
        const { heads, headDim } = layout;
        const keyMask = mask ? keyMaskPerHead(mask, heads) : null;
        const v = value.heads(x);
        let mixed = nystromAttentionHeads(query.heads(x), key.heads(x), v, keyMask, {
          // An input shorter than seqLen (a short batch) may have fewer tokens than landmarks.
          landmarks: Math.min(options.landmarks, length),
          pinvIterations: options.pinvIterations,
          attentionDropout: args.attentionDropout,
          ctx,
        });
        if (conv) {
          const masked = keyMask ? tf.mul(v, keyMask) : v;
          // [BH, N, d] -> NHWC [B, N, d, H]: one channel per head, the kernel runs along N.
          const image = tf.transpose(tf.reshape(masked, [batch, heads, length, headDim]), [0, 2, 3, 1]) as tf.Tensor4D;
          const convolved = tf.depthwiseConv2d(image, conv as tf.Tensor4D, 1, 'same');
          mixed = tf.add(mixed, tf.reshape(tf.transpose(convolved, [0, 3, 1, 2]), [batch * heads, length, headDim]));
        }
        return output(mixed);
      });
    },
  };
}

export const nystromformer: MixerSpec<NystromformerOptions> = {
  name: 'nystromformer',
  title: 'Nystromformer (Nystrom approximation of softmax attention)',
  paper:
    'Xiong, Zeng, Chakraborty, Tan, Fung, Li and Singh, "Nystromformer: A Nystrom-Based Algorithm for Approximating Self-Attention", AAAI 2021',
  kind: 'attention',
  defaults: { qkvDim: null, landmarks: 64, pinvIterations: 6, convKernel: 35 },
  create: createNystromformer,
  validate(args, options) {
    const { landmarks, convKernel } = options;
    if (!Number.isInteger(landmarks) || landmarks < 1) return `landmarks must be a positive integer, got ${landmarks}`;
    if (landmarks > args.seqLen) return `landmarks ${landmarks} exceed the sequence length ${args.seqLen}`;
    if (!Number.isInteger(options.pinvIterations) || options.pinvIterations < 1) {
      return `pinvIterations must be a positive integer, got ${options.pinvIterations}`;
    }
    if (convKernel !== null && (!Number.isInteger(convKernel) || convKernel < 1 || convKernel % 2 === 0)) {
      return `convKernel must be an odd positive integer or null, got ${convKernel}`;
    }
    return headLayoutProblem(args, options.qkvDim);
  },
};
