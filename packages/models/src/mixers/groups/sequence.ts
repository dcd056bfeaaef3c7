// Mixers of this family (s4, s4d, s5, lru, mamba, gmlp, mega, long-conv: state spaces, token-axis
// MLPs, EMA-gated attention, directly learned long convolutions), one file each in ../, registered
// here by name.
import { gmlp } from '../gmlp.js';
import { longConv } from '../long-conv.js';
import { lru } from '../lru.js';
import { mamba } from '../mamba.js';
import { mega } from '../mega.js';
import { s4 } from '../s4.js';
import { s4d } from '../s4d.js';
import { s5 } from '../s5.js';
import type { MixerSpec } from '../types.js';

export const sequenceMixers = { s4, s4d, s5, lru, mamba, gmlp, mega, 'long-conv': longConv } satisfies Record<string, MixerSpec<any>>;
