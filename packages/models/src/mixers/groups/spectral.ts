// Mixers of this family (fnet, fftnet, gfnet, fourier-transformer), one file each in ../, registered here by name.
import type { MixerSpec } from '../types.js';

export const spectralMixers = {} satisfies Record<string, MixerSpec<any>>;
