// A complex DFT made of real-valued tfjs ops (matMul, transpose, elementwise), for backends
// whose memory JavaScript cannot touch directly (webgl, webgpu): dense DFT matrices for short
// lengths, the four-step (Cooley-Tukey n = n1 n2) split above them, and Bluestein for lengths
// with a large prime factor. Work is O(n (n1 + n2)) per level, a few matMuls on a GPU.
import * as tf from '@tensorflow/tfjs';
import { complexFft } from '../plan/complex-fft.js';
import { nextFastLength, primeFactors } from '../plan/factorize.js';
import { doubles } from '../plan/work-buffers.js';

/** Lengths up to this use one dense DFT matrix product. */
const DENSE_LIMIT = 64;
/** Prime lengths up to this also use the dense product rather than Bluestein. */
const DENSE_PRIME_LIMIT = 256;

const denseMatrices = new Map<number, { cos: Float32Array; sin: Float32Array }>();

function denseMatrix(n: number): { cos: Float32Array; sin: Float32Array } {
  let m = denseMatrices.get(n);
  if (m === undefined) {
    const cos = new Float32Array(n * n);
    const sin = new Float32Array(n * n);
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < n; k++) {
        const angle = (2 * Math.PI * ((j * k) % n)) / n;
        cos[j * n + k] = Math.cos(angle);
        sin[j * n + k] = Math.sin(angle);
      }
    }
    m = { cos, sin };
    denseMatrices.set(n, m);
  }
  return m;
}

/** Forward DFT (exp(-i ...)) of rows [rows, n], n <= the dense limits. */
function denseDft(re: tf.Tensor, im: tf.Tensor, n: number): [tf.Tensor, tf.Tensor] {
  const { cos, sin } = denseMatrix(n);
  const c = tf.tensor2d(cos, [n, n]);
  const s = tf.tensor2d(sin, [n, n]);
  // (a + ib)(cos - i sin) = (a cos + b sin) + i (b cos - a sin)
  return [tf.add(tf.matMul(re, c), tf.matMul(im, s)), tf.sub(tf.matMul(im, c), tf.matMul(re, s))];
}

/** The divisor of n nearest its square root from below (1 when n is prime). */
function balancedDivisor(n: number): number {
  for (let d = Math.floor(Math.sqrt(n)); d > 1; d--) if (n % d === 0) return d;
  return 1;
}

/**
 * Four-step: input index t = n2 t1 + t2, output k = k1 + n1 k2.
 * X[k1 + n1 k2] = sum_t2 w_n^(t2 k1) w_n2^(t2 k2) sum_t1 x[n2 t1 + t2] w_n1^(t1 k1).
 */
function fourStepDft(re: tf.Tensor, im: tf.Tensor, n: number, n1: number): [tf.Tensor, tf.Tensor] {
  const rows = re.shape[0];
  const n2 = n / n1;
  const byT1 = (t: tf.Tensor) => tf.reshape(tf.transpose(tf.reshape(t, [rows, n1, n2]), [0, 2, 1]), [rows * n2, n1]);
  const [ar, ai] = forwardDft(byT1(re), byT1(im), n1);
  const twr = new Float32Array(n2 * n1);
  const twi = new Float32Array(n2 * n1);
  for (let t2 = 0; t2 < n2; t2++) {
    for (let k1 = 0; k1 < n1; k1++) {
      const angle = (-2 * Math.PI * ((t2 * k1) % n)) / n;
      twr[t2 * n1 + k1] = Math.cos(angle);
      twi[t2 * n1 + k1] = Math.sin(angle);
    }
  }
  const wr = tf.tensor2d(twr, [n2, n1]);
  const wi = tf.tensor2d(twi, [n2, n1]);
  const a3r = tf.reshape(ar, [rows, n2, n1]);
  const a3i = tf.reshape(ai, [rows, n2, n1]);
  const br = tf.sub(tf.mul(a3r, wr), tf.mul(a3i, wi));
  const bi = tf.add(tf.mul(a3r, wi), tf.mul(a3i, wr));
  const byT2 = (t: tf.Tensor) => tf.reshape(tf.transpose(t, [0, 2, 1]), [rows * n1, n2]);
  const [cr, ci] = forwardDft(byT2(br), byT2(bi), n2);
  const toOutput = (t: tf.Tensor) => tf.reshape(tf.transpose(tf.reshape(t, [rows, n1, n2]), [0, 2, 1]), [rows, n]);
  return [toOutput(cr), toOutput(ci)];
}

/** Bluestein's chirp-z: a circular convolution of a 5-smooth length m >= 2n - 1. */
function bluesteinDft(re: tf.Tensor, im: tf.Tensor, n: number): [tf.Tensor, tf.Tensor] {
  const rows = re.shape[0];
  const m = nextFastLength(2 * n - 1);
  const chirpRe = new Float32Array(n);
  const chirpIm = new Float32Array(n);
  const kernelRe = doubles(m);
  const kernelIm = doubles(m);
  for (let k = 0; k < n; k++) {
    const angle = (-Math.PI * ((k * k) % (2 * n))) / n;
    chirpRe[k] = Math.cos(angle);
    chirpIm[k] = Math.sin(angle);
    kernelRe[k] = Math.cos(angle) / m;
    kernelIm[k] = -Math.sin(angle) / m;
    if (k > 0) {
      kernelRe[m - k] = kernelRe[k]!;
      kernelIm[m - k] = kernelIm[k]!;
    }
  }
  // The chirp's spectrum is a constant: compute it once in float64 on the CPU.
  complexFft(m).forward(kernelRe, kernelIm);
  const cr = tf.tensor1d(chirpRe);
  const ci = tf.tensor1d(chirpIm);
  const ar = tf.pad(tf.sub(tf.mul(re, cr), tf.mul(im, ci)), [[0, 0], [0, m - n]]);
  const ai = tf.pad(tf.add(tf.mul(re, ci), tf.mul(im, cr)), [[0, 0], [0, m - n]]);
  const [fr, fi] = forwardDft(ar, ai, m);
  const kr = tf.tensor1d(Float32Array.from(kernelRe));
  const ki = tf.tensor1d(Float32Array.from(kernelIm));
  const pr = tf.sub(tf.mul(fr, kr), tf.mul(fi, ki));
  const pi = tf.add(tf.mul(fr, ki), tf.mul(fi, kr));
  // Unscaled inverse through the swap identity (the 1/m is in the kernel).
  const [qi, qr] = forwardDft(pi, pr, m);
  const yr = tf.slice(qr, [0, 0], [rows, n]);
  const yi = tf.slice(qi, [0, 0], [rows, n]);
  return [tf.sub(tf.mul(yr, cr), tf.mul(yi, ci)), tf.add(tf.mul(yr, ci), tf.mul(yi, cr))];
}

function forwardDft(re: tf.Tensor, im: tf.Tensor, n: number): [tf.Tensor, tf.Tensor] {
  if (n === 1) return [re, im];
  if (n <= DENSE_LIMIT) return denseDft(re, im, n);
  const n1 = balancedDivisor(n);
  if (n1 > 1) return fourStepDft(re, im, n, n1);
  const largest = primeFactors(n).at(-1)!;
  if (largest <= DENSE_PRIME_LIMIT) return denseDft(re, im, n);
  return bluesteinDft(re, im, n);
}

/**
 * Unscaled DFT along the last axis of split complex tensors (inverse: exp(+i ...), no 1/n).
 * Call inside tf.tidy: intermediates are not disposed here.
 */
export function tensorDft(re: tf.Tensor, im: tf.Tensor, inverse: boolean): [tf.Tensor, tf.Tensor] {
  const shape = re.shape;
  const n = shape[shape.length - 1]!;
  const rows = re.size / Math.max(n, 1);
  const r2 = tf.reshape(re, [rows, n]);
  const i2 = tf.reshape(im, [rows, n]);
  // The inverse is the forward transform with re and im swapped on the way in and out.
  if (inverse) {
    const [outIm, outRe] = forwardDft(i2, r2, n);
    return [tf.reshape(outRe, shape), tf.reshape(outIm, shape)];
  }
  const [outRe, outIm] = forwardDft(r2, i2, n);
  return [tf.reshape(outRe, shape), tf.reshape(outIm, shape)];
}
