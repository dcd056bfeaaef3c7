import type { SplitName } from '../../types.js';
import { tfdsRecordOrder } from '../tfds-order.js';

export { tfdsRecordOrder };

/**
 * LRA's TFDS builders name the three difficulty folders as splits; the split name salts the
 * hash that orders the records.
 */
export const pathfinderDifficultySplits: Readonly<Record<string, string>> = {
  curv_baseline: 'easy',
  curv_contour_length_9: 'intermediate',
  curv_contour_length_14: 'hard',
};

/**
 * The key LRA's builder gives an example: `<field 0>_<field 1>_<n>`, n counting the lines of its
 * metadata file from 1.
 */
export function pathfinderExampleKey(imageDir: string, imageFile: string, lineInFile: number): string {
  return `${imageDir}_${imageFile}_${lineInFile}`;
}

/** Python's round() of p * n / 100 (halves to even), exactly, as TFDS's 'closest' rounding. */
function percentBoundary(percent: number, n: number): number {
  const whole = Math.floor((percent * n) / 100);
  const twiceRest = 2 * ((percent * n) % 100);
  if (twiceRest > 100) return whole + 1;
  if (twiceRest < 100) return whole;
  return whole % 2 === 0 ? whole : whole + 1;
}

/**
 * Record ranges [start, end) of LRA's `<difficulty>[:80%]`, `[80%:90%]` and `[90%:]` over `n`
 * records (empty images included: LRA drops them after slicing).
 */
export function pathfinderSplitRange(split: SplitName, n: number): [number, number] {
  const a = percentBoundary(80, n);
  const b = percentBoundary(90, n);
  if (split === 'train') return [0, a];
  if (split === 'val') return [a, b];
  return [b, n];
}
