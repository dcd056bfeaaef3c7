// Mixers of this family (s4, s4d, mamba, gmlp: state spaces and token-axis MLPs), one file each in
// ../, registered here by name.
import { gmlp } from '../gmlp.js';
import { mamba } from '../mamba.js';
import { s4 } from '../s4.js';
import { s4d } from '../s4d.js';
import type { MixerSpec } from '../types.js';

export const sequenceMixers = { s4, s4d, mamba, gmlp } satisfies Record<string, MixerSpec<any>>;
