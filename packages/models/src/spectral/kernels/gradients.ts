// Gradients of the spectral kernels, each expressed through another spectral kernel so the
// backward pass is as fast as the forward one on every backend.
//
// For a real loss L of a complex output y = A x, the gradient g = dL/dRe y + i dL/dIm y pulls
// back as A^H g. Hence:
// - fft (scale s) <-> inverse fft (scale s): the unscaled DFT's adjoint is the unscaled inverse.
// - rfft: dx_j = s Re sum_k w_k g_k exp(+2 pi i j k / n) over the kept bins only. irfft's
//   Hermitian sum counts interior bins twice, so the adjoint is irfft with interior weight w/2,
//   cut (or zero-padded) back to the input length. The imaginary parts of g at DC and Nyquist
//   drop out, as they must: those outputs are identically zero.
// - irfft (interior weight v): the adjoint is rfft with interior weight 2v; the imaginary
//   gradients at DC and Nyquist come out exactly zero (irfft ignores those inputs).
// - dct <-> idct: an orthonormal transform's adjoint is its inverse.
// - fnetMix: a real symmetric map, its own adjoint.
import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap } from '@tensorflow/tfjs';
import {
  DCT_KERNEL,
  FFT_KERNEL,
  FNET_MIX_KERNEL,
  IRFFT_KERNEL,
  RFFT_KERNEL,
  type DctAttrs,
  type FftAttrs,
  type IrfftAttrs,
  type RfftAttrs,
} from './kernel-names.js';

function run(name: string, inputs: Record<string, tf.Tensor>, attrs: NamedAttrMap): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(name, inputs, attrs) as tf.Tensor | tf.Tensor[];
}

function pair(dy: tf.Tensor | tf.Tensor[]): [tf.Tensor, tf.Tensor] {
  const [a, b] = dy as tf.Tensor[];
  return [a!, b!];
}

const gradConfigs: tf.GradConfig[] = [
  {
    kernelName: RFFT_KERNEL,
    gradFunc: (dy, _saved, attrs) => {
      const { fftLength, inputLength, scale, interiorWeight, inner = 1 } = attrs as RfftAttrs;
      const [gr, gi] = pair(dy);
      const adjoint: IrfftAttrs = {
        fftLength,
        outLength: inputLength,
        scale,
        interiorWeight: interiorWeight / 2,
        inner,
      };
      return { x: () => run(IRFFT_KERNEL, { re: gr, im: gi }, adjoint) as tf.Tensor };
    },
  },
  {
    kernelName: IRFFT_KERNEL,
    gradFunc: (dy, _saved, attrs) => {
      const { fftLength, outLength, scale, interiorWeight, inner = 1 } = attrs as IrfftAttrs;
      const adjoint: RfftAttrs = { fftLength, inputLength: outLength, scale, interiorWeight: 2 * interiorWeight, inner };
      const [gr, gi] = run(RFFT_KERNEL, { x: dy as tf.Tensor }, adjoint) as tf.Tensor[];
      return { re: () => gr!, im: () => gi! };
    },
  },
  {
    kernelName: FFT_KERNEL,
    gradFunc: (dy, _saved, attrs) => {
      const { inverse, scale } = attrs as FftAttrs;
      const [gr, gi] = pair(dy);
      const adjoint: FftAttrs = { inverse: !inverse, scale };
      const [dr, di] = run(FFT_KERNEL, { re: gr, im: gi }, adjoint) as tf.Tensor[];
      return { re: () => dr!, im: () => di! };
    },
  },
  {
    kernelName: DCT_KERNEL,
    gradFunc: (dy, _saved, attrs) => {
      const adjoint: DctAttrs = { inverse: !(attrs as DctAttrs).inverse };
      return { x: () => run(DCT_KERNEL, { x: dy as tf.Tensor }, adjoint) as tf.Tensor };
    },
  },
  {
    kernelName: FNET_MIX_KERNEL,
    gradFunc: (dy) => ({ x: () => run(FNET_MIX_KERNEL, { x: dy as tf.Tensor }, {}) as tf.Tensor }),
  },
];

/** Registers the gradients once (a second copy of this module finds them registered). */
export function registerSpectralGradients(): void {
  for (const config of gradConfigs) {
    if (tf.getGradient(config.kernelName) === undefined) tf.registerGradient(config);
  }
}
