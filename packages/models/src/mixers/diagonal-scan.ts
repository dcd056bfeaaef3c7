// The linear recurrence x_t = a x_{t-1} + b_t (x_{-1} = 0) with a constant complex diagonal a,
// as S5 and the LRU run it: a parallel associative scan over the length, built from whole-tensor
// tfjs ops so that tfjs differentiates it like any other program (tfjs has no complex gradients,
// so complex values travel as real and imaginary parts). The mixers differentiate it through
// linearRecurrence, whose gradient is the adjoint recurrence run as the same scan (less memory
// and work than taping every level). The backward recurrence
// x_t = a x_{t+1} + b_t has its own recursion rather than reversed copies: tf.reverse is several
// times slower than a multiply on wasm.
import * as tf from '@tensorflow/tfjs';

/** A complex diagonal (one value per state): real and imaginary parts, each [P]. */
export interface ComplexDiagonal {
  re: tf.Tensor1D;
  im: tf.Tensor1D;
}

/** A complex [B, L, P] tensor as its real and imaginary parts. */
export interface ComplexSequence {
  re: tf.Tensor3D;
  im: tf.Tensor3D;
}

/** Applies f to both parts. */
function each(z: ComplexSequence, f: (t: tf.Tensor3D) => tf.Tensor3D): ComplexSequence {
  return { re: f(z.re), im: f(z.im) };
}

/** z * a + w for z, w [B, L, P] and a [P]. */
function timesPlus(z: ComplexSequence, a: ComplexDiagonal, w: ComplexSequence): ComplexSequence {
  return {
    re: tf.add(tf.sub(tf.mul(z.re, a.re), tf.mul(z.im, a.im)), w.re) as tf.Tensor3D,
    im: tf.add(tf.add(tf.mul(z.im, a.re), tf.mul(z.re, a.im)), w.im) as tf.Tensor3D,
  };
}

function squared(a: ComplexDiagonal): ComplexDiagonal {
  return { re: tf.sub(tf.square(a.re), tf.square(a.im)), im: tf.mul(tf.mul(a.re, a.im), 2) };
}

/** x [R, 2M, W] -> the even and the odd positions, each [R, M, W]. */
function evenOdd(x: tf.Tensor3D): [tf.Tensor3D, tf.Tensor3D] {
  const [rows, length, width] = x.shape;
  // One transpose puts the parity first, so both halves are contiguous (a strided slice is
  // several times slower than a transpose on wasm).
  const split = tf.transpose(tf.reshape(x, [rows, length / 2, 2, width]), [2, 0, 1, 3]);
  const [even, odd] = tf.unstack(split, 0) as [tf.Tensor3D, tf.Tensor3D];
  return [even, odd];
}

/** even, odd [R, M, W] -> [R, 2M, W] with even at positions 0, 2, ... */
function interleave(even: tf.Tensor3D, odd: tf.Tensor3D): tf.Tensor3D {
  const [rows, half, width] = even.shape;
  return tf.reshape(tf.stack([even, odd], 2), [rows, 2 * half, width]) as tf.Tensor3D;
}

/** x [R, M, W] moved one position later (reverse: earlier), a zero entering at the free end. */
function shifted(x: tf.Tensor3D, reverse: boolean): tf.Tensor3D {
  const [rows, length, width] = x.shape;
  return reverse
    ? (tf.pad(tf.slice(x, [0, 1, 0], [rows, length - 1, width]), [[0, 0], [0, 1], [0, 0]]) as tf.Tensor3D)
    : (tf.pad(tf.slice(x, [0, 0, 0], [rows, length - 1, width]), [[0, 0], [1, 0], [0, 0]]) as tf.Tensor3D);
}

/**
 * All states x_t, t < L, of x_t = a x_{t-1} + b_t (reverse: x_t = a x_{t+1} + b_t, as
 * jax.lax.associative_scan(..., reverse=True), inclusive of b_t) for b [B, L, P] and a constant
 * diagonal a [P]. The recursive odd-even form of Blelloch's scan, as jax.lax.associative_scan:
 * combine neighbouring pairs, scan the half-length sequence with a^2, fill in the other
 * positions. Depth O(log L), work O(L); since a does not depend on the position, every level
 * multiplies by a [P] vector rather than carrying a [B, L, P] tensor of products. Call inside
 * tf.tidy.
 */
export function diagonalScan(a: ComplexDiagonal, b: ComplexSequence, reverse = false): ComplexSequence {
  if (b.re.shape[1] === 1) return b;
  // Each level frees its intermediates as it returns, so the peak memory is a few times the
  // states rather than every level's tensors at once (the tape keeps what gradients need).
  const [re, im] = tf.tidy(() => {
    const states = scanLevel(a, b, reverse);
    return [states.re, states.im];
  });
  return { re: re!, im: im! };
}

function scanLevel(a: ComplexDiagonal, b: ComplexSequence, reverse: boolean): ComplexSequence {
  const [batch, length, width] = b.re.shape;
  // An odd length gets one more step with b = 0 at the end: forwards it comes after every
  // state, backwards its state is 0; either way nothing changes, and it is dropped afterwards.
  const odd = length % 2;
  const padded = odd ? each(b, (t) => tf.pad(t, [[0, 0], [0, 1], [0, 0]]) as tf.Tensor3D) : b;
  const [evenRe, oddRe] = evenOdd(padded.re);
  const [evenIm, oddIm] = evenOdd(padded.im);
  const even = { re: evenRe, im: evenIm };
  const odds = { re: oddRe, im: oddIm };
  let states: ComplexSequence;
  if (!reverse) {
    // x_{2i+1} = a^2 x_{2i-1} + (a b_{2i} + b_{2i+1}); then x_{2i} = a x_{2i-1} + b_{2i}.
    const atOdd = diagonalScan(squared(a), timesPlus(even, a, odds));
    const atEven = timesPlus(each(atOdd, (t) => shifted(t, false)), a, even);
    states = { re: interleave(atEven.re, atOdd.re), im: interleave(atEven.im, atOdd.im) };
  } else {
    // x_{2i} = a^2 x_{2i+2} + (a b_{2i+1} + b_{2i}); then x_{2i+1} = a x_{2i+2} + b_{2i+1}.
    const atEven = diagonalScan(squared(a), timesPlus(odds, a, even), true);
    const atOdd = timesPlus(each(atEven, (t) => shifted(t, true)), a, odds);
    states = { re: interleave(atEven.re, atOdd.re), im: interleave(atEven.im, atOdd.im) };
  }
  return odd ? each(states, (t) => tf.slice(t, [0, 0, 0], [batch, length, width]) as tf.Tensor3D) : states;
}

/**
 * diagonalScan with the gradient of the recurrence written out rather than taped: for a real loss
 * with gradient G_x on the states, the gradient reaching x_t obeys the adjoint recurrence
 * g_t = G_x,t + conj(a) g_{t+1} (the other direction), which is again a diagonal scan; then
 * G_b = g and G_a = sum_t conj(x_{t-1}) g_t (x_{t+1} backwards). Only the states are kept for the
 * backward pass, where autodiff of the scan keeps every level's intermediates (about 30 tensors
 * the size of the states); the backward pass is one scan where autodiff's is about twice the
 * forward's work. Call inside tf.tidy.
 */
export function linearRecurrence(a: ComplexDiagonal, b: ComplexSequence, reverse = false): ComplexSequence {
  const run = tf.customGrad((...args) => {
    const [aRe, aIm, bRe, bIm] = args as tf.Tensor[];
    const save = args[4] as tf.GradSaveFunc;
    // Real and imaginary parts as one output (a custom gradient has one): [2B, L, P].
    const states = tf.tidy(() => {
      const x = diagonalScan({ re: aRe as tf.Tensor1D, im: aIm as tf.Tensor1D }, { re: bRe as tf.Tensor3D, im: bIm as tf.Tensor3D }, reverse);
      return tf.concat([x.re, x.im], 0);
    });
    save([aRe!, aIm!, states]);
    return {
      value: states,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedRe, savedIm, x] = saved as [tf.Tensor1D, tf.Tensor1D, tf.Tensor3D];
        const [dyRe, dyIm] = tf.split(dy, 2, 0) as [tf.Tensor3D, tf.Tensor3D];
        const g = diagonalScan({ re: savedRe, im: tf.neg(savedIm) }, { re: dyRe, im: dyIm }, !reverse);
        const [xRe, xIm] = tf.split(x, 2, 0) as [tf.Tensor3D, tf.Tensor3D];
        const previousRe = shifted(xRe, reverse);
        const previousIm = shifted(xIm, reverse);
        const daRe = tf.sum(tf.add(tf.mul(previousRe, g.re), tf.mul(previousIm, g.im)), [0, 1]);
        const daIm = tf.sum(tf.sub(tf.mul(previousRe, g.im), tf.mul(previousIm, g.re)), [0, 1]);
        return [daRe, daIm, g.re, g.im];
      },
    };
  });
  const [re, im] = tf.split(run(a.re, a.im, b.re, b.im), 2, 0) as [tf.Tensor3D, tf.Tensor3D];
  return { re, im };
}

/** The states of both directions for one drive b [B, L, P]: [forward, backward], each inclusive of b_t. */
export function bidirectionalDiagonalScan(a: ComplexDiagonal, b: ComplexSequence): [ComplexSequence, ComplexSequence] {
  return [linearRecurrence(a, b), linearRecurrence(a, b, true)];
}

/** An output matrix C [H, P] (real and imaginary parts) that reads one set of states. */
export interface ComplexReadout {
  cRe: tf.Tensor2D;
  cIm: tf.Tensor2D;
}

/**
 * scale * Re(sum_d C_d x_d) for states x_d [B, L, P] and their output matrices C_d [H, P]:
 * [B, L, H], as 2-D products (far faster than batched ones on wasm).
 */
export function readOut(states: readonly ComplexSequence[], readouts: readonly ComplexReadout[], scale: number): tf.Tensor3D {
  const [batch, length, width] = states[0]!.re.shape;
  const channels = readouts[0]!.cRe.shape[0];
  const rows = (t: tf.Tensor3D) => tf.reshape(t, [batch * length, width]) as tf.Tensor2D;
  let y: tf.Tensor2D | null = null;
  states.forEach((x, d) => {
    const { cRe, cIm } = readouts[d]!;
    // C transposed once (it is small): a product with transposeB is about twice as slow on wasm.
    const part = tf.sub(tf.matMul(rows(x.re), tf.transpose(cRe)), tf.matMul(rows(x.im), tf.transpose(cIm))) as tf.Tensor2D;
    y = y ? (tf.add(y, part) as tf.Tensor2D) : part;
  });
  return tf.reshape(scale === 1 ? y! : tf.mul(y!, scale), [batch, length, channels]) as tf.Tensor3D;
}

/** The drive b_t = B u_t for u [B, L, H] and a complex B [P, H]: complex [B, L, P]. */
export function driveStates(u: tf.Tensor3D, bRe: tf.Tensor2D, bIm: tf.Tensor2D): ComplexSequence {
  const [batch, length, channels] = u.shape;
  const width = bRe.shape[0];
  const flat = tf.reshape(u, [batch * length, channels]) as tf.Tensor2D;
  const drive = (w: tf.Tensor2D) => tf.reshape(tf.matMul(flat, tf.transpose(w)), [batch, length, width]) as tf.Tensor3D;
  return { re: drive(bRe), im: drive(bIm) };
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
