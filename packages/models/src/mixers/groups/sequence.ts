// Mixers of this family (s4d, s5, lru, mamba, gmlp: state spaces and token-axis MLPs), one file each in
// ../, registered here by name.
import { gmlp } from '../gmlp.js';
import { mamba } from '../mamba.js';
import { lru } from '../lru.js';
import { s4d } from '../s4d.js';
import { s5 } from '../s5.js';
import type { MixerSpec } from '../types.js';

export const sequenceMixers = { s4d, s5, lru, mamba, gmlp } satisfies Record<string, MixerSpec<any>>;
