// Mixers of this family (kernelized-rpe, local, linformer, linear, performer, rfa), one file each in ../, registered here by name.
import type { MixerSpec } from '../types.js';

export const kernelMixers = {} satisfies Record<string, MixerSpec<any>>;
