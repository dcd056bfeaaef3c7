// Mixers of this family (hyena, s4d, mamba, gmlp), one file each in ../, registered here by name.
import type { MixerSpec } from '../types.js';

export const sequenceMixers = {} satisfies Record<string, MixerSpec<any>>;
