// Mixers of this family (reformer, nystromformer, bigbird, synthesizer, sinkhorn), one file each in ../, registered here by name.
import type { MixerSpec } from '../types.js';

export const sparseMixers = {} satisfies Record<string, MixerSpec<any>>;
