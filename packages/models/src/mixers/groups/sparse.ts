// Efficient-attention mixers (linear, performer, rfa, reformer, nystromformer, bigbird), one file
// each in ../, registered here by name.
import { bigbird } from '../bigbird.js';
import { linear } from '../linear.js';
import { nystromformer } from '../nystromformer.js';
import { performer } from '../performer.js';
import { reformer } from '../reformer.js';
import { rfa } from '../rfa.js';
import type { MixerSpec } from '../types.js';

export const sparseMixers = {
  linear,
  performer,
  rfa,
  reformer,
  nystromformer,
  bigbird,
} satisfies Record<string, MixerSpec<any>>;
