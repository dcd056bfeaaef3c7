// What a mixer's spec says of its growth, for the benchmark's predictions (cell-budget.ts).
import { getMixer, isMixerName } from '@lra/models';
import type { CellGrowth } from './cell-budget.js';

/** Peak memory grows at most linearly for a linearMemory mixer, unless its options ask for its dense implementation. */
export function mixerGrowth(mixer: string, mixerOptions?: Record<string, unknown>): CellGrowth {
  if (!isMixerName(mixer) || getMixer(mixer).linearMemory !== true) return {};
  return mixerOptions?.['implementation'] === 'dense' ? {} : { memoryExponent: 1 };
}
