// S4's convolution kernel from its diagonal-plus-low-rank state matrix (Gu, Goel, Re 2022,
// Algorithm 1; state-spaces/s4 SSMKernelDPLR.forward): the truncated generating function of the
// bilinear-discretised system, evaluated at the roots of unity through Cauchy sums over the
// diagonal and a rank-1 Woodbury correction, then brought back to the kernel by an inverse FFT.
// Complex values are (re, im) pairs of float32 tensors, so every step has tfjs's gradients.
import * as tf from '@tensorflow/tfjs';
import { irfft } from '../spectral/index.js';
import { conjugatePairCauchy, type CauchyNodes } from './s4-cauchy.js';

export type DtTransform = 'softplus' | 'exp';

/**
 * The trained state-space parameters. M = N/2 modes (conjugates implied), S = n_ssm copies of
 * (Lambda, P, B) tied over the H channels (channel h uses copy h mod S), C output channels
 * (2 when bidirectional).
 */
export interface S4KernelParams {
  /** dt = transform(invDt), one per channel [H]. */
  invDt: tf.Tensor;
  /** Lambda = -exp(logAReal) - i aImag [S, M], as the reference keeps the diagonal. */
  logAReal: tf.Tensor;
  aImag: tf.Tensor;
  /** The low-rank term, A = diag(Lambda) - P P^*: [S, M, 2] (re, im on the last axis, as torch's view_as_real). */
  p: tf.Tensor;
  /** [S, M, 2]. */
  b: tf.Tensor;
  /** C~ = C (I - Abar^L) [C, H, M, 2]: the reference trains C~ itself (see s4-c-tilde.ts). */
  cTilde: tf.Tensor;
}

export interface Complex {
  re: tf.Tensor;
  im: tf.Tensor;
}

/** (re, im) of a tensor whose last axis holds them. */
export function splitComplex(x: tf.Tensor): Complex {
  const [re, im] = tf.unstack(x, x.rank - 1);
  return { re: re!, im: im! };
}

const cmul = (a: Complex, b: Complex): Complex => ({
  re: tf.sub(tf.mul(a.re, b.re), tf.mul(a.im, b.im)),
  im: tf.add(tf.mul(a.re, b.im), tf.mul(a.im, b.re)),
});

const cdiv = (a: Complex, b: Complex): Complex => {
  const norm = tf.add(tf.square(b.re), tf.square(b.im));
  return {
    re: tf.div(tf.add(tf.mul(a.re, b.re), tf.mul(a.im, b.im)), norm),
    im: tf.div(tf.sub(tf.mul(a.im, b.re), tf.mul(a.re, b.im)), norm),
  };
};

/** The step sizes [H] from their parameter. */
export function s4StepSizes(invDt: tf.Tensor, transform: DtTransform): tf.Tensor {
  return transform === 'softplus' ? tf.softplus(invDt) : tf.exp(invDt);
}

/**
 * Per node omega_k = exp(-2 pi i k / L), k = 0..floor(L/2): a_k = 2 (1 - omega_k) and
 * b_k = 1 + omega_k, so that the bilinear transform's z_k = a_k / b_k. Float64, rounded once.
 */
function nodeTerms(nodes: number): CauchyNodes {
  const bins = Math.floor(nodes / 2) + 1;
  const out = { aRe: new Float32Array(bins), aIm: new Float32Array(bins), bRe: new Float32Array(bins), bIm: new Float32Array(bins) };
  for (let k = 0; k < bins; k++) {
    const angle = (-2 * Math.PI * k) / nodes;
    out.aRe[k] = 2 * (1 - Math.cos(angle));
    out.aIm[k] = -2 * Math.sin(angle);
    out.bRe[k] = 1 + Math.cos(angle);
    out.bIm[k] = Math.sin(angle);
  }
  return out;
}

const tieToChannels = (x: tf.Tensor, channels: number): tf.Tensor => {
  const copies = x.shape[0]!;
  return copies === channels ? x : tf.tile(x, [channels / copies, 1]);
};

/**
 * The kernel [C, H, length] of the system (Lambda - P P^*, B, C~, dt), evaluated at `nodes` roots
 * of unity (the reference's l_kernel, its l_max) and cut to the first `length` taps
 * (length <= nodes). Call inside tf.tidy.
 *
 * The reference computes r = sum_n v_n / (z_k - w_n) over all N states (w = dt Lambda and its
 * conjugates, v = dt x_n y_n for x in {B, P} and y in {C~, P^*}), then
 * k(omega) = 2 / (1 + omega) [r_BC - r_BP* r_PC / (1 + r_PP*)]. With z = a / b this is the same
 * rational function as s - (b/2) s_BP* s_PC / (1 + (b/2) s_PP*), s = sum_n v_n 2 / (a - b w_n),
 * used here because it stays finite at omega = -1 (even lengths), where z is infinite.
 */
export function s4Kernel(p: S4KernelParams, dtTransform: DtTransform, nodes: number, length: number): tf.Tensor3D {
  const [outputs, channels] = p.cTilde.shape as [number, number, number, 2];
  const cTilde = splitComplex(p.cTilde);
  const pCopies = splitComplex(p.p);
  const bCopies = splitComplex(p.b);
  if (length > nodes) throw new Error(`s4Kernel: ${length} taps from ${nodes} nodes`);
  const dt = tf.reshape(s4StepSizes(p.invDt, dtTransform), [channels, 1]);
  // dt Lambda [H, M], the diagonal's poles after scaling.
  const wRe = tf.mul(tf.neg(tf.exp(tieToChannels(p.logAReal, channels))), dt) as tf.Tensor2D;
  const wIm = tf.mul(tf.neg(tieToChannels(p.aImag, channels)), dt) as tf.Tensor2D;
  const terms = nodeTerms(nodes);
  const bins = terms.aRe.length;
  const node = (values: Float32Array) => tf.tensor3d(values, [1, 1, bins]);
  const b = { re: node(terms.bRe), im: node(terms.bIm) };
  // Numerators [H, 2C+2, M] of the Cauchy sums, B and P carrying dt.
  const lowRank = { re: tieToChannels(pCopies.re, channels), im: tieToChannels(pCopies.im, channels) };
  const scaledB = { re: tf.mul(tieToChannels(bCopies.re, channels), dt), im: tf.mul(tieToChannels(bCopies.im, channels), dt) };
  const scaledP = { re: tf.mul(lowRank.re, dt), im: tf.mul(lowRank.im, dt) };
  const lowRankConj = { re: lowRank.re, im: tf.neg(lowRank.im) }; // P^*
  const outputRows = { re: tf.transpose(cTilde.re, [1, 0, 2]), im: tf.transpose(cTilde.im, [1, 0, 2]) }; // [H, C, M]
  const rows = (x: Complex): Complex[] => [
    cmul({ re: tf.expandDims(x.re, 1), im: tf.expandDims(x.im, 1) }, outputRows),
    cmul({ re: tf.expandDims(x.re, 1), im: tf.expandDims(x.im, 1) }, { re: tf.expandDims(lowRankConj.re, 1), im: tf.expandDims(lowRankConj.im, 1) }),
  ];
  const numerators = [...rows(scaledB), ...rows(scaledP)]; // B C~, B P^*, P C~, P P^*
  const left = tf.concat([tf.concat(numerators.map((v) => v.re), 1), tf.concat(numerators.map((v) => v.im), 1)], 2) as tf.Tensor3D; // [H, 2C+2, 2M]
  const sums = conjugatePairCauchy(left, wRe, wIm, terms); // [H, 2C+2, 2, K]
  const part = (row: number, count: number): Complex => ({
    re: tf.reshape(tf.slice(sums, [0, row, 0, 0], [channels, count, 1, bins]), [channels, count, bins]),
    im: tf.reshape(tf.slice(sums, [0, row, 1, 0], [channels, count, 1, bins]), [channels, count, bins]),
  });
  const sBC = part(0, outputs);
  const sBP = part(outputs, 1);
  const sPC = part(outputs + 1, outputs);
  const sPP = part(2 * outputs + 1, 1);
  const halfB = { re: tf.mul(b.re, 0.5), im: tf.mul(b.im, 0.5) };
  const correction = cdiv(cmul(halfB, cmul(sBP, sPC)), { re: tf.add(1, cmul(halfB, sPP).re), im: cmul(halfB, sPP).im });
  const spectrum = { re: tf.transpose(tf.sub(sBC.re, correction.re), [1, 0, 2]), im: tf.transpose(tf.sub(sBC.im, correction.im), [1, 0, 2]) };
  const kernel = irfft(spectrum, { n: nodes }); // [C, H, nodes]
  return (length === nodes ? kernel : tf.slice(kernel, [0, 0, 0], [outputs, channels, length])) as tf.Tensor3D;
}
