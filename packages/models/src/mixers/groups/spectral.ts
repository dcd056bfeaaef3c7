// Mixers of this family (fnet, gfnet, fftnet, fourier-transformer, hyena), one file each in ../,
// registered here by name.
import { fftnet } from '../fftnet.js';
import { fnet } from '../fnet.js';
import { fourierTransformer } from '../fourier-transformer.js';
import { gfnet } from '../gfnet.js';
import { hyena } from '../hyena.js';
import type { MixerSpec } from '../types.js';

export const spectralMixers = {
  fnet,
  gfnet,
  fftnet,
  'fourier-transformer': fourierTransformer,
  hyena,
} satisfies Record<string, MixerSpec<any>>;
