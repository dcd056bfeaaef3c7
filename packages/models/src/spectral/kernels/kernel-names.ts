// The project's spectral kernels: names, inputs and attributes. Every kernel maps float32
// tensors to float32 tensors along the last axis (rfft and irfft also along the middle axis of a
// rank-3 tensor); complex values travel as (re, im) pairs.

/**
 * x [..., m] -> re, im [..., floor(n/2)+1]: rfft of x zero-padded or truncated to n. With attribute
 * `inner` > 1: x [outer, m, inner] -> [outer, floor(n/2)+1, inner], along the middle axis.
 */
export const RFFT_KERNEL = 'LraRfft';
/**
 * re, im [..., floor(n/2)+1] -> y [..., outLength]: irfft of length n, cut or zero-padded. With
 * attribute `inner` > 1: [outer, floor(n/2)+1, inner] -> [outer, outLength, inner].
 */
export const IRFFT_KERNEL = 'LraIrfft';
/** re, im [..., n] -> re, im [..., n]: complex DFT (or unscaled inverse DFT). */
export const FFT_KERNEL = 'LraFft';
/** x [..., n] -> y [..., n]: orthonormal DCT-II (or its inverse, DCT-III). */
export const DCT_KERNEL = 'LraDct';
/** x [..., N, D] -> y [..., N, D]: Re of the unnormalised 2-D DFT over the last two axes. */
export const FNET_MIX_KERNEL = 'LraFnetMix';

export const SPECTRAL_KERNEL_NAMES = [RFFT_KERNEL, IRFFT_KERNEL, FFT_KERNEL, DCT_KERNEL, FNET_MIX_KERNEL] as const;
export type SpectralKernelName = (typeof SPECTRAL_KERNEL_NAMES)[number];

export type RfftAttrs = {
  fftLength: number;
  /**
   * The input's last dimension. The gradient needs it to cut back to the input length; keeping it
   * here spares saving the input itself (saving clones, which copies on wasm).
   */
  inputLength: number;
  /** Multiplies every bin (the norm mode's factor). */
  scale: number;
  /** Further multiplies the interior bins (not DC, not Nyquist); 2 makes the adjoint of irfft. */
  interiorWeight: number;
  /** Elements after the transform axis: > 1 transforms the middle axis of [outer, m, inner]. Default 1. */
  inner?: number;
};

export type IrfftAttrs = {
  fftLength: number;
  outLength: number;
  scale: number;
  /** Multiplies the interior bins before the transform; 0.5 makes the adjoint of rfft. */
  interiorWeight: number;
  /** As RfftAttrs.inner. */
  inner?: number;
};

export type FftAttrs = {
  inverse: boolean;
  scale: number;
};

export type DctAttrs = {
  inverse: boolean;
};

/** Input names per kernel, in the order the implementations take them. */
export const KERNEL_INPUTS: Record<SpectralKernelName, readonly string[]> = {
  [RFFT_KERNEL]: ['x'],
  [IRFFT_KERNEL]: ['re', 'im'],
  [FFT_KERNEL]: ['re', 'im'],
  [DCT_KERNEL]: ['x'],
  [FNET_MIX_KERNEL]: ['x'],
};
