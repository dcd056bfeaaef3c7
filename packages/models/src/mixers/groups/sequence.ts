// Mixers of this family (s4d, mamba, gmlp, mega: state spaces, token-axis MLPs, EMA-gated attention), one file each in
// ../, registered here by name.
import { gmlp } from '../gmlp.js';
import { mamba } from '../mamba.js';
import { mega } from '../mega.js';
import { s4d } from '../s4d.js';
import type { MixerSpec } from '../types.js';

export const sequenceMixers = { s4d, mamba, gmlp, mega } satisfies Record<string, MixerSpec<any>>;
