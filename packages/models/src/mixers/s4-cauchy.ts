// The Cauchy sums of S4's kernel over conjugate pairs of poles, computed in chunks of nodes and
// recomputed in the backward pass: the [H, M, nodes] Cauchy matrix is the largest tensor of the
// kernel (128 x 32 x 1001 at ListOps' length) and would otherwise be kept, several times over,
// for the gradient. Only the inputs and the [H, J, 2, nodes] sums are kept.
import * as tf from '@tensorflow/tfjs';
import { chunkedVjp } from '../nn/vjp.js';

/** Elements of one chunk's Cauchy matrix: large enough for few kernels, small enough to bound memory. */
const CHUNK_ELEMENTS = 1 << 20;

/** Per node: a_k, b_k with z_k = a_k / b_k (see s4-kernel.ts), in float64 rounded once. */
export interface CauchyNodes {
  aRe: Float32Array;
  aIm: Float32Array;
  bRe: Float32Array;
  bIm: Float32Array;
}

/**
 * Nodes k0 .. k0 + count - 1: [Re, Im] of sum_m v_jm g(w_m) + conj(v_jm) g(conj w_m) with
 * g(w) = 2 / (a_k - b_k w), for numerators v [H, J, M] given as left = [Re v, Im v] [H, J, 2M] and
 * poles w [H, M]. Returns [H, J, 2, count].
 */
function chunkSums(left: tf.Tensor, wRe: tf.Tensor, wIm: tf.Tensor, nodes: CauchyNodes, k0: number, count: number): tf.Tensor {
  return tf.tidy(() => {
    const [channels, rows] = left.shape as [number, number, number];
    const node = (values: Float32Array) => tf.tensor3d(values.subarray(k0, k0 + count), [1, 1, count]);
    const x = tf.expandDims(wRe, 2);
    const y = tf.expandDims(wIm, 2);
    // a - b w = (aRe - bRe x + bIm y) + i (aIm - bIm x - bRe y); for conj(w) flip the y terms.
    const realBase = tf.sub(node(nodes.aRe), tf.mul(node(nodes.bRe), x));
    const realTurn = tf.mul(node(nodes.bIm), y);
    const imagBase = tf.sub(node(nodes.aIm), tf.mul(node(nodes.bIm), x));
    const imagTurn = tf.mul(node(nodes.bRe), y);
    // 2 / d = 2 conj(d) / |d|^2
    const inverse = (re: tf.Tensor, im: tf.Tensor) => {
      const scale = tf.div(2, tf.add(tf.square(re), tf.square(im)));
      return { re: tf.mul(re, scale), im: tf.neg(tf.mul(im, scale)) };
    };
    const g = inverse(tf.add(realBase, realTurn), tf.sub(imagBase, imagTurn));
    const gConj = inverse(tf.sub(realBase, realTurn), tf.add(imagBase, imagTurn));
    // [Re v, Im v] @ [[Re g + Re gConj, Im g + Im gConj], [Im gConj - Im g, Re g - Re gConj]].
    const right = tf.concat(
      [tf.concat([tf.add(g.re, gConj.re), tf.add(g.im, gConj.im)], 2), tf.concat([tf.sub(gConj.im, g.im), tf.sub(g.re, gConj.re)], 2)],
      1,
    ); // [H, 2M, 2 count]
    return tf.reshape(tf.matMul(left, right), [channels, rows, 2, count]);
  });
}

/**
 * All floor(L/2)+1 nodes' sums [H, J, 2, bins] (see chunkSums), differentiable in left, wRe and
 * wIm, holding at most chunkElements of the Cauchy matrix at a time in either pass.
 */
export function conjugatePairCauchy(
  left: tf.Tensor3D,
  wRe: tf.Tensor2D,
  wIm: tf.Tensor2D,
  nodes: CauchyNodes,
  chunkElements = CHUNK_ELEMENTS,
): tf.Tensor4D {
  const [channels, , twoModes] = left.shape;
  const bins = nodes.aRe.length;
  const perChunk = Math.max(1, Math.floor(chunkElements / (channels * (twoModes / 2))));
  const chunks: Array<[number, number]> = [];
  for (let k0 = 0; k0 < bins; k0 += perChunk) chunks.push([k0, Math.min(perChunk, bins - k0)]);
  const run = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [l, re, im] = args.slice(0, 3) as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const parts = chunks.map(([k0, count]) => chunkSums(l!, re!, im!, nodes, k0, count));
    const value = parts.length === 1 ? parts[0]! : tf.concat(parts, 3);
    if (parts.length > 1) tf.dispose(parts);
    save([l!, re!, im!]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [lS, reS, imS] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        return chunkedVjp(
          chunks,
          [lS, reS, imS],
          ([k0, count]) => chunkSums(lS, reS, imS, nodes, k0, count),
          ([k0, count]) => tf.slice(dy, [0, 0, 0, k0], [...dy.shape.slice(0, 3), count]),
        );
      },
    };
  });
  return run(left, wRe, wIm) as tf.Tensor4D;
}
