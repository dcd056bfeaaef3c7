// The Long Range Arena's Table 1 models that exist only as LRA's own code builds them (Sparse
// Transformer, Longformer, Sinkhorn Transformer, Synthesizer), one file each in ../.
import { longformer } from '../longformer.js';
import { sinkhorn } from '../sinkhorn.js';
import { sparseTransformer } from '../sparse-transformer.js';
import { synthesizer } from '../synthesizer.js';
import type { MixerSpec } from '../types.js';

export const lraTableMixers = {
  'sparse-transformer': sparseTransformer,
  longformer,
  sinkhorn,
  synthesizer,
} satisfies Record<string, MixerSpec<any>>;
