// Mixers of this family (local, linformer, kernelized-rpe: attention restricted to a band, to a
// low-rank projection, or to a kernel with relative positions), one file each in ../,
// registered here by name.
import { kernelizedRpe } from '../kernelized-rpe.js';
import { linformer } from '../linformer.js';
import { local } from '../local.js';
import type { MixerSpec } from '../types.js';

export const kernelMixers = { 'kernelized-rpe': kernelizedRpe, local, linformer } satisfies Record<string, MixerSpec<any>>;
