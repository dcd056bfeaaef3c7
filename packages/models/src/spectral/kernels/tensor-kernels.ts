// Spectral kernels composed of tfjs ops, for backends whose buffers JavaScript cannot read in
// place. They differ only in the complex DFT underneath: the 'tensorflow' backend has a native
// FFT (tf.spectral), others get the real-valued DFT of tensor-dft.ts. The kernels receive the
// caller's tensors and return tensors; the ops inside run below the tape, so the registered
// gradients (gradients.ts) are the only ones recorded.
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { rfftBins } from '../plan/real-rows.js';
import { fitLastAxis, lastDim } from '../tensor-utils.js';
import {
  DCT_KERNEL,
  FFT_KERNEL,
  FNET_MIX_KERNEL,
  IRFFT_KERNEL,
  KERNEL_INPUTS,
  RFFT_KERNEL,
  type DctAttrs,
  type FftAttrs,
  type IrfftAttrs,
  type RfftAttrs,
  type SpectralKernelName,
} from './kernel-names.js';
import { tensorDft } from './tensor-dft.js';

/** An unscaled complex DFT along the last axis (inverse: exp(+i ...), no 1/n). */
export type TensorDft = (re: tf.Tensor, im: tf.Tensor, inverse: boolean) => [tf.Tensor, tf.Tensor];

/** tf.spectral's FFT kernels (native on the tensorflow backend), unscaled both ways. */
export const nativeSpectralDft: TensorDft = (re, im, inverse) => {
  const n = re.shape[re.shape.length - 1]!;
  const z = tf.complex(re, im);
  const y = inverse ? tf.spectral.ifft(z) : tf.spectral.fft(z);
  const yr = tf.real(y);
  const yi = tf.imag(y);
  return inverse ? [tf.mul(yr, n), tf.mul(yi, n)] : [yr, yi];
};

/** The real-valued DFT of tensor-dft.ts. */
export const realValuedDft: TensorDft = tensorDft;

/** Per-bin weights: `edge` at DC and Nyquist, `interior` between. */
function binWeights(n: number, edge: number, interior: number): tf.Tensor1D {
  const h = rfftBins(n);
  const w = new Float32Array(h).fill(interior);
  w[0] = edge;
  if (n % 2 === 0) w[h - 1] = edge;
  return tf.tensor1d(w);
}

/** [outer, m, inner] <-> [outer, inner, m]: the kernels' middle-axis layout (inner > 1) as rows, and back. */
const swapInner = (t: tf.Tensor): tf.Tensor => tf.transpose(t, [0, 2, 1]);

export function rfftTensors(x: tf.Tensor, attrs: RfftAttrs, dft: TensorDft): [tf.Tensor, tf.Tensor] {
  if ((attrs.inner ?? 1) > 1) {
    const [re, im] = rfftTensors(swapInner(x), { ...attrs, inner: 1 }, dft);
    return [swapInner(re), swapInner(im)];
  }
  const { fftLength: n, inputLength, scale, interiorWeight } = attrs;
  if (lastDim(x) !== inputLength) {
    throw new Error(`${RFFT_KERNEL}: inputLength ${inputLength} does not match the input's last dimension ${lastDim(x)}`);
  }
  const padded = fitLastAxis(x, n);
  const [yr, yi] = dft(padded, tf.zerosLike(padded), false);
  const bins = (t: tf.Tensor) => fitLastAxis(t, rfftBins(n));
  return [
    tf.mul(bins(yr), binWeights(n, scale, scale * interiorWeight)),
    // DC and Nyquist of a real signal are real: zero them exactly, as the array kernels do.
    tf.mul(bins(yi), binWeights(n, 0, scale * interiorWeight)),
  ];
}

export function irfftTensors(re: tf.Tensor, im: tf.Tensor, attrs: IrfftAttrs, dft: TensorDft): tf.Tensor {
  if ((attrs.inner ?? 1) > 1) return swapInner(irfftTensors(swapInner(re), swapInner(im), { ...attrs, inner: 1 }, dft));
  const { fftLength: n, outLength, scale, interiorWeight } = attrs;
  const h = rfftBins(n);
  if (lastDim(re) !== h) throw new Error(`${IRFFT_KERNEL}: expected ${h} bins, got ${lastDim(re)}`);
  const wr = tf.mul(re, binWeights(n, 1, interiorWeight));
  const wi = tf.mul(im, binWeights(n, 0, interiorWeight));
  // Bins h..n-1 are conjugates of bins n-h..1.
  const mirrored = n - h;
  const upper = (t: tf.Tensor) =>
    tf.reverse(tf.slice(t, [...t.shape.slice(0, -1).map(() => 0), 1], [...t.shape.slice(0, -1), mirrored]), -1);
  const fullRe = mirrored > 0 ? tf.concat([wr, upper(wr)], -1) : wr;
  const fullIm = mirrored > 0 ? tf.concat([wi, tf.neg(upper(wi))], -1) : wi;
  const [yr] = dft(fullRe, fullIm, true);
  return fitLastAxis(tf.mul(yr, scale), outLength);
}

export function fftTensors(re: tf.Tensor, im: tf.Tensor, attrs: FftAttrs, dft: TensorDft): [tf.Tensor, tf.Tensor] {
  const [yr, yi] = dft(re, im, attrs.inverse);
  return [tf.mul(yr, attrs.scale), tf.mul(yi, attrs.scale)];
}

/** Makhoul's reordering v = [x_0, x_2, ..., x_3, x_1] as gather indices, and its inverse. */
function makhoulOrder(n: number): { order: tf.Tensor1D; inverseOrder: tf.Tensor1D } {
  const order = new Int32Array(n);
  const inverseOrder = new Int32Array(n);
  for (let j = 0; 2 * j < n; j++) order[j] = 2 * j;
  for (let j = 0; 2 * j + 1 < n; j++) order[n - 1 - j] = 2 * j + 1;
  for (let j = 0; j < n; j++) inverseOrder[order[j]!] = j;
  return { order: tf.tensor1d(order, 'int32'), inverseOrder: tf.tensor1d(inverseOrder, 'int32') };
}

export function dctTensors(x: tf.Tensor, attrs: DctAttrs, dft: TensorDft): tf.Tensor {
  const n = lastDim(x);
  const axis = x.rank - 1;
  const { order, inverseOrder } = makhoulOrder(n);
  const cos = new Float32Array(n);
  const sin = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const f = k === 0 ? 1 / (2 * Math.sqrt(n)) : 1 / Math.sqrt(2 * n);
    // Forward: X_k = 2 f_k Re(V_k exp(-i theta_k)). Inverse: V_k = exp(i theta_k) W_k with
    // W_k = (X_k - i X_{n-k}) / (2 f_k), then the inverse FFT's 1/n.
    const g = attrs.inverse ? 1 / (2 * f * n) : 2 * f;
    cos[k] = g * Math.cos((Math.PI * k) / (2 * n));
    sin[k] = g * Math.sin((Math.PI * k) / (2 * n));
  }
  const c = tf.tensor1d(cos);
  const s = tf.tensor1d(sin);
  if (!attrs.inverse) {
    const v = tf.gather(x, order, axis);
    const [vr, vi] = dft(v, tf.zerosLike(v), false);
    return tf.add(tf.mul(vr, c), tf.mul(vi, s));
  }
  // X_{n-k} for k >= 1, and 0 for k = 0.
  const leading = x.shape.slice(0, -1);
  const shifted =
    n === 1
      ? tf.zerosLike(x)
      : tf.concat([tf.zeros([...leading, 1]), tf.reverse(tf.slice(x, [...leading.map(() => 0), 1], [...leading, n - 1]), -1)], -1);
  const vr = tf.add(tf.mul(x, c), tf.mul(shifted, s));
  const vi = tf.sub(tf.mul(x, s), tf.mul(shifted, c));
  const [v] = dft(vr, vi, true);
  return tf.gather(v, inverseOrder, axis);
}

export function fnetMixTensors(x: tf.Tensor, dft: TensorDft): tf.Tensor {
  if (x.rank < 2) throw new Error(`${FNET_MIX_KERNEL} needs rank >= 2, got shape [${x.shape.join(', ')}]`);
  const perm = [...x.shape.keys()];
  perm[x.rank - 1] = x.rank - 2;
  perm[x.rank - 2] = x.rank - 1;
  const [ar, ai] = dft(x, tf.zerosLike(x), false);
  const [yr] = dft(tf.transpose(ar, perm), tf.transpose(ai, perm), false);
  return tf.transpose(yr, perm);
}

/** A TensorInfo as a tensor; a bare TensorInfo gets its own reference so disposing it is safe. */
function asTensor(info: TensorInfo): tf.Tensor {
  if (info instanceof tf.Tensor) return info;
  const engine = tf.engine();
  engine.backend.incRef(info.dataId);
  return engine.makeTensorFromTensorInfo(info);
}

/** The kernel function of `name` built from tfjs ops over the given DFT. */
export function tensorKernelFunc(name: SpectralKernelName, dft: TensorDft): KernelFunc {
  const inputNames = KERNEL_INPUTS[name];
  return ({ inputs, attrs }) => {
    const attrMap: NamedAttrMap = attrs ?? {};
    const wrapped = inputNames.map((input) => {
      const info = inputs[input];
      if (info === undefined) throw new Error(`${name}: missing input '${input}'`);
      return info;
    });
    return tf.tidy(() => {
      const [a, b] = wrapped.map(asTensor) as [tf.Tensor, tf.Tensor | undefined];
      switch (name) {
        case RFFT_KERNEL:
          return rfftTensors(a, attrMap as RfftAttrs, dft);
        case IRFFT_KERNEL:
          return irfftTensors(a, b!, attrMap as IrfftAttrs, dft);
        case FFT_KERNEL:
          return fftTensors(a, b!, attrMap as FftAttrs, dft);
        case DCT_KERNEL:
          return dctTensors(a, attrMap as DctAttrs, dft);
        case FNET_MIX_KERNEL:
          return fnetMixTensors(a, dft);
      }
    });
  };
}
