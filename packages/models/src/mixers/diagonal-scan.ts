// The linear recurrence x_t = a x_{t-1} + b_t (x_{-1} = 0) with a constant complex diagonal a,
// as S5 and the LRU run it: a parallel associative scan over the length, built from whole-tensor
// tfjs ops so that tfjs differentiates it like any other program (tfjs has no complex gradients,
// so complex values travel as real and imaginary parts).
//
// Layout: a complex [B, L, P] tensor is one float32 tensor [2B, L, P] holding the real parts of
// the B sequences and then their imaginary parts. The scan's reshapes and slices then touch both
// parts at once, and a product with the diagonal is four ops on one tensor.
import * as tf from '@tensorflow/tfjs';

/** A complex diagonal (one value per state): real and imaginary parts, each [P]. */
export interface ComplexDiagonal {
  re: tf.Tensor1D;
  im: tf.Tensor1D;
}

/** Stacks real and imaginary parts [B, L, P] into the scan's layout [2B, L, P]. */
export function toComplexRows(re: tf.Tensor3D, im: tf.Tensor3D): tf.Tensor3D {
  return tf.concat([re, im], 0);
}

/** The scan's layout [2B, L, P] back to real and imaginary parts, each [B, L, P]. */
export function fromComplexRows(z: tf.Tensor3D): [tf.Tensor3D, tf.Tensor3D] {
  const [re, im] = tf.split(z, 2, 0) as [tf.Tensor3D, tf.Tensor3D];
  return [re, im];
}

/** z * a for z [2B, L, P] in the scan's layout and a [P]. */
function timesDiagonal(z: tf.Tensor3D, a: ComplexDiagonal): tf.Tensor3D {
  const [rows, length, width] = z.shape;
  const halves = tf.reshape(z, [2, (rows / 2) * length, width]);
  // (re, im) * (aRe + i aIm) = (re aRe - im aIm, im aRe + re aIm): swapping the halves (a reverse
  // along the first axis of size 2) brings im next to re.
  const cross = tf.reshape(tf.stack([tf.neg(a.im), a.im]), [2, 1, width]);
  const product = tf.add(tf.mul(halves, a.re), tf.mul(tf.reverse(halves, 0), cross));
  return tf.reshape(product, z.shape) as tf.Tensor3D;
}

function squared(a: ComplexDiagonal): ComplexDiagonal {
  return { re: tf.sub(tf.square(a.re), tf.square(a.im)), im: tf.mul(tf.mul(a.re, a.im), 2) };
}

/** z [R, 2M, W] -> the even and the odd positions, each [R, M, W]. */
function evenOdd(z: tf.Tensor3D): [tf.Tensor3D, tf.Tensor3D] {
  const [rows, length, width] = z.shape;
  // One transpose puts the parity first, so both halves are contiguous (a strided slice is
  // several times slower than a transpose on wasm).
  const split = tf.transpose(tf.reshape(z, [rows, length / 2, 2, width]), [2, 0, 1, 3]);
  const [even, odd] = tf.unstack(split, 0) as [tf.Tensor3D, tf.Tensor3D];
  return [even, odd];
}

/**
 * All states x_t, t < L, of x_t = a x_{t-1} + b_t for b [2B, L, P] in the scan's layout and a
 * constant diagonal a [P]. The recursive odd-even form of Blelloch's scan (as
 * jax.lax.associative_scan), with the operator (a1, b1) o (a2, b2) = (a2 a1, a2 b1 + b2): combine
 * neighbouring pairs, scan the half-length sequence with a^2, fill in the even positions. Depth
 * O(log L), work O(L), and since a does not depend on the position, every level multiplies by a
 * [P] vector rather than carrying a [B, L, P] tensor of products. Call inside tf.tidy.
 */
export function diagonalScan(a: ComplexDiagonal, b: tf.Tensor3D): tf.Tensor3D {
  const [rows, length, width] = b.shape;
  if (length === 1) return b;
  // An odd length gets one more step with b = 0 at the end; it changes no earlier state and is
  // dropped afterwards (a stays constant, unlike an identity element).
  const odd = length % 2;
  const [even, oddSteps] = evenOdd(odd ? tf.pad(b, [[0, 0], [0, 1], [0, 0]]) : b);
  const pairs = (length + odd) / 2;
  // State after each odd position: x_{2i+1} = a (a x_{2i-1} + b_{2i}) + b_{2i+1}.
  const atOdd = diagonalScan(squared(a), tf.add(timesDiagonal(even, a), oddSteps));
  // x_{2i} = a x_{2i-1} + b_{2i}, with x_{-1} = 0.
  const before = tf.pad(tf.slice(atOdd, [0, 0, 0], [rows, pairs - 1, width]), [[0, 0], [1, 0], [0, 0]]) as tf.Tensor3D;
  const atEven = tf.add(timesDiagonal(before, a), even);
  const states = tf.reshape(tf.stack([atEven, atOdd], 2), [rows, 2 * pairs, width]) as tf.Tensor3D;
  return odd ? tf.slice(states, [0, 0, 0], [rows, length, width]) : states;
}

/**
 * The states of both directions for one drive b [2B, L, P] (scan layout): x_t = a x_{t-1} + b_t
 * forwards and x'_t = a x'_{t+1} + b_t backwards, both inclusive of b_t (as
 * jax.lax.associative_scan(..., reverse=True)). One scan over 2B sequences, the reversed ones
 * appended to the batch. Returns [forward, backward], each [2B, L, P] in the scan layout.
 */
export function bidirectionalDiagonalScan(a: ComplexDiagonal, b: tf.Tensor3D): [tf.Tensor3D, tf.Tensor3D] {
  const [re, im] = fromComplexRows(b);
  const both = toComplexRows(tf.concat([re, tf.reverse(re, 1)], 0), tf.concat([im, tf.reverse(im, 1)], 0));
  const [statesRe, statesIm] = fromComplexRows(diagonalScan(a, both));
  const [forwardRe, backwardRe] = tf.split(statesRe, 2, 0) as [tf.Tensor3D, tf.Tensor3D];
  const [forwardIm, backwardIm] = tf.split(statesIm, 2, 0) as [tf.Tensor3D, tf.Tensor3D];
  return [toComplexRows(forwardRe, forwardIm), toComplexRows(tf.reverse(backwardRe, 1), tf.reverse(backwardIm, 1))];
}

/** An output matrix C [H, P] (real and imaginary parts) that reads one set of states. */
export interface ComplexReadout {
  cRe: tf.Tensor2D;
  cIm: tf.Tensor2D;
}

/**
 * scale * Re(sum_d C_d x_d) for states x_d [2B, L, P] in the scan layout and their output
 * matrices C_d [H, P]: [B, L, H]. One 2-D product over the states of every direction stacked
 * (real parts with C's real part, imaginary parts with minus its imaginary part).
 */
export function readOut(states: readonly tf.Tensor3D[], readouts: readonly ComplexReadout[], scale: number): tf.Tensor3D {
  const [rows, length, width] = states[0]!.shape;
  const batch = rows / 2;
  const features: tf.Tensor[] = [];
  const weights: tf.Tensor[] = [];
  states.forEach((z, d) => {
    const [re, im] = fromComplexRows(z);
    features.push(re, im);
    weights.push(tf.transpose(readouts[d]!.cRe), tf.neg(tf.transpose(readouts[d]!.cIm)));
  });
  const x = tf.reshape(tf.concat(features, -1), [batch * length, features.length * width]) as tf.Tensor2D;
  const w = tf.mul(tf.concat(weights, 0), scale) as tf.Tensor2D;
  const channels = readouts[0]!.cRe.shape[0];
  return tf.reshape(tf.matMul(x, w), [batch, length, channels]) as tf.Tensor3D;
}

/** The drive b_t = B u_t for u [B, L, H] and a complex B [P, H]: [2B, L, P] in the scan layout. */
export function driveStates(u: tf.Tensor3D, bRe: tf.Tensor2D, bIm: tf.Tensor2D): tf.Tensor3D {
  const [batch, length, channels] = u.shape;
  const width = bRe.shape[0];
  const flat = tf.reshape(u, [batch * length, channels]) as tf.Tensor2D;
  // One product against [H, 2P]: the real parts' columns, then the imaginary parts'.
  const both = tf.matMul(flat, tf.concat([bRe, bIm], 0), false, true);
  const split = tf.transpose(tf.reshape(both, [batch, length, 2, width]), [2, 0, 1, 3]);
  return tf.reshape(split, [2 * batch, length, width]) as tf.Tensor3D;
}

/**
 * The per-channel impulse response (input channel h to output channel h) of a diagonal complex
 * SSM, in float64 JavaScript, as Mixer.inspect reports it: scale Re(sum_n C_hn Lambda_n^k B_nh)
 * at lag k (the backward readout at lag -k), plus D at lag 0.
 */
export function diagonalImpulseResponse(s: {
  lambdaRe: Float64Array;
  lambdaIm: Float64Array;
  /** B [P, H]. */
  bRe: Float64Array;
  bIm: Float64Array;
  /** C [H, P, 2] per direction (forward, then backward). */
  readouts: Float64Array[];
  d: ArrayLike<number>;
  scale: number;
  length: number;
  name: string;
}) {
  const states = s.lambdaRe.length;
  const channels = s.d.length;
  const two = s.readouts.length === 2;
  const span = two ? 2 * s.length - 1 : s.length;
  const zero = two ? s.length - 1 : 0;
  const values = new Float32Array(channels * span);
  for (let h = 0; h < channels; h++) {
    const row = new Float64Array(span);
    row[zero] = s.d[h]!;
    for (let n = 0; n < states; n++) {
      const bRe = s.bRe[n * channels + h]!;
      const bIm = s.bIm[n * channels + h]!;
      s.readouts.forEach((c, direction) => {
        const cRe = c[(h * states + n) * 2]!;
        const cIm = c[(h * states + n) * 2 + 1]!;
        // w = C B, then w Lambda^k for k = 0, 1, ...
        let wRe = cRe * bRe - cIm * bIm;
        let wIm = cRe * bIm + cIm * bRe;
        for (let k = 0; k < s.length; k++) {
          row[direction === 0 ? zero + k : zero - k] += s.scale * wRe;
          const nextRe = wRe * s.lambdaRe[n]! - wIm * s.lambdaIm[n]!;
          wIm = wRe * s.lambdaIm[n]! + wIm * s.lambdaRe[n]!;
          wRe = nextRe;
        }
      });
    }
    values.set(Float32Array.from(row), h * span);
  }
  return {
    name: `${s.name} SSM diagonal response + D skip (${two ? 'two-sided' : 'causal'})`,
    channels,
    firstOffset: -zero,
    length: span,
    values,
  };
}
