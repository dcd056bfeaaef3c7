// Rotary position embedding (RoPE, Su et al. 2021) in the INTERLEAVED layout: channels (2i, 2i+1)
// of a head form a pair rotated by the angle m theta_i at position m, theta_i = 10000^(-2i/d).
// (The "rotate half" layout pairs channel i with i + d/2: a different permutation.) Rotating q
// and k makes q_m . k_n depend on positions only through m - n.
import * as tf from '@tensorflow/tfjs';

export interface RotaryTables {
  /** cos(m theta_i) and sin(m theta_i), [length, headDim / 2]. */
  readonly cos: Float32Array;
  readonly sin: Float32Array;
  readonly length: number;
  readonly headDim: number;
}

export function rotaryTables(length: number, headDim: number, base = 10000): RotaryTables {
  if (headDim % 2 !== 0) throw new Error(`rotary positions need an even head width, got ${headDim}`);
  const half = headDim / 2;
  const cos = new Float32Array(length * half);
  const sin = new Float32Array(length * half);
  for (let i = 0; i < half; i++) {
    const theta = Math.pow(base, (-2 * i) / headDim);
    for (let m = 0; m < length; m++) {
      cos[m * half + i] = Math.cos(m * theta);
      sin[m * half + i] = Math.sin(m * theta);
    }
  }
  return { cos, sin, length, headDim };
}

/** Rotates x [B, N, H, headDim] (positions along axis 1) with tables made for N and headDim. */
export function applyRotary(x: tf.Tensor4D, tables: RotaryTables): tf.Tensor4D {
  const [batch, length, heads, headDim] = x.shape;
  if (length !== tables.length || headDim !== tables.headDim) {
    throw new Error(
      `rotary tables are for length ${tables.length} and head width ${tables.headDim}, input has ${length} and ${headDim}`,
    );
  }
  return tf.tidy(() => {
    const half = headDim / 2;
    const pairs = tf.reshape(x, [batch, length, heads, half, 2]);
    const [even, odd] = tf.split(pairs, 2, 4).map((t) => tf.reshape(t, [batch, length, heads, half]));
    const cos = tf.tensor4d(tables.cos, [1, length, 1, half]);
    const sin = tf.tensor4d(tables.sin, [1, length, 1, half]);
    const rotatedEven = tf.sub(tf.mul(even!, cos), tf.mul(odd!, sin));
    const rotatedOdd = tf.add(tf.mul(even!, sin), tf.mul(odd!, cos));
    return tf.reshape(tf.stack([rotatedEven, rotatedOdd], 4), [batch, length, heads, headDim]) as tf.Tensor4D;
  });
}
