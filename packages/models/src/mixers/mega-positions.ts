// Mega's relative positional biases (facebookresearch/mega fairseq/modules/
// relative_positional_bias.py), added to the attention scores of one chunk of length C:
// - 'simple': one learned scalar per offset, bias[i][j] = b[M - 1 + j - i], b of length 2M - 1
//   (M = the longest chunk: the sequence length, or chunkSize when chunked).
// - 'rotary': bias[i][j] = rot(a, i) . rot(b, j) for two learned vectors a, b [z], rotated by
//   position as RoPE with the two halves of the vector (not interleaved pairs).
import * as tf from '@tensorflow/tfjs';
import { normal } from '../nn/initializers.js';
import type { ParamScope } from '../nn/params.js';

export type MegaRelativePositions = 'simple' | 'rotary';

export interface RelativePositionBias {
  /** The bias [C, C] for a chunk of C <= maxPositions positions. Call inside tf.tidy. */
  bias(length: number): tf.Tensor2D;
}

function simpleBias(scope: ParamScope, maxPositions: number): RelativePositionBias {
  const table = scope.add('bias', [2 * maxPositions - 1], normal(0.02));
  return {
    bias(length: number): tf.Tensor2D {
      if (length > maxPositions) throw new Error(`mega: chunk of ${length} positions exceeds the ${maxPositions} the positional bias has`);
      // The "relative shift": rows [b_0 .. b_(2L-2), 0] repeated L times, read from flat index
      // L - 1 with rows of 2L - 1, start row i at offset L - 1 - i. Only broadcasts, reshapes and
      // slices, whose gradients are cheap (the reference's tile has one slice per row in tfjs's
      // gradient: 10 s at 1024 positions on wasm), and no index table that grows as L^2.
      const offsets = tf.pad(tf.slice(table, [maxPositions - length], [2 * length - 1]), [[0, 1]]);
      const rows = tf.reshape(tf.mul(tf.ones([length, 1]), tf.expandDims(offsets, 0)), [2 * length * length]);
      const shifted = tf.reshape(tf.slice(rows, [length - 1], [length * (2 * length - 1)]), [length, 2 * length - 1]);
      return tf.slice(shifted, [0, 0], [length, length]) as tf.Tensor2D;
    },
  };
}

/** sin and cos [length, dim/2] of position t times 10000^(-k / (dim/2)). */
function sinusoids(length: number, dim: number): { sin: tf.Tensor2D; cos: tf.Tensor2D } {
  const half = dim / 2;
  const sin = new Float32Array(length * half);
  const cos = new Float32Array(length * half);
  const step = Math.log(10000) / half;
  for (let t = 0; t < length; t++) {
    for (let k = 0; k < half; k++) {
      // The reference computes the frequency in float32 first.
      const angle = t * Math.fround(Math.exp(-k * step));
      sin[t * half + k] = Math.sin(angle);
      cos[t * half + k] = Math.cos(angle);
    }
  }
  return { sin: tf.tensor2d(sin, [length, half]), cos: tf.tensor2d(cos, [length, half]) };
}

function rotaryBias(scope: ParamScope, dim: number, maxPositions: number): RelativePositionBias {
  const a = scope.add('alpha', [dim], normal(0.02));
  const b = scope.add('beta', [dim], normal(0.02));
  const rotate = (v: tf.Tensor, sin: tf.Tensor2D, cos: tf.Tensor2D): tf.Tensor2D => {
    const [first, second] = tf.split(v, 2);
    return tf.concat([tf.sub(tf.mul(first!, cos), tf.mul(second!, sin)), tf.add(tf.mul(second!, cos), tf.mul(first!, sin))], 1) as tf.Tensor2D;
  };
  return {
    bias(length: number): tf.Tensor2D {
      if (length > maxPositions) throw new Error(`mega: chunk of ${length} positions exceeds the ${maxPositions} the positional bias has`);
      const { sin, cos } = sinusoids(length, dim);
      return tf.matMul(rotate(a, sin, cos), rotate(b, sin, cos), false, true);
    },
  };
}

export function relativePositionBias(scope: ParamScope, kind: MegaRelativePositions, dim: number, maxPositions: number): RelativePositionBias {
  return kind === 'simple' ? simpleBias(scope, maxPositions) : rotaryBias(scope, dim, maxPositions);
}
