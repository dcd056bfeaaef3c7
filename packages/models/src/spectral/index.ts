// The spectral namespace of @lra/models: real-in, real-out, differentiable FFT-family ops on
// every tfjs backend, any length, O(N log N). Importing it registers the kernels and gradients.
import { registerAllSpectralKernels } from './kernels/register.js';

registerAllSpectralKernels();

export type { ComplexTensors, FftNorm } from './types.js';
export { rfft, irfft, type RfftOptions, type IrfftOptions } from './real-fft.js';
export { fft, ifft, fft2, type FftOptions, type Fft2Options } from './fft.js';
export { fnetMix } from './fnet-mix.js';
export { dct, idct, type DctOptions } from './dct.js';
export { fftconv } from './fftconv.js';
export { toeplitzMatvec } from './toeplitz.js';
export { nextFastLength } from './plan/factorize.js';
export {
  ensureSpectralKernels,
  kernelFamilyFor,
  registerSpectralKernels,
  type SpectralKernelFamily,
} from './kernels/register.js';
export { SPECTRAL_KERNEL_NAMES, type SpectralKernelName } from './kernels/kernel-names.js';
