import { createHash } from 'node:crypto';
import type { SplitName } from '../../types.js';

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

/**
 * The order TFDS writes records in: ascending MD5 of the salt (the split name) followed by the
 * key, read as a 128-bit big-endian integer (tfds.core.hashing.Hasher). Returns the permutation:
 * `order[k]` is the index in `keys` of the k-th record.
 */
export function tfdsRecordOrder(keys: readonly string[], salt: string): Int32Array {
  const n = keys.length;
  const digests = Buffer.alloc(n * 16);
  const lead = new Float64Array(n);
  const seed = createHash('md5').update(salt, 'utf8');
  for (let i = 0; i < n; i++) {
    const digest = seed.copy().update(keys[i]!.replaceAll('\\', '/'), 'utf8').digest();
    digest.copy(digests, i * 16);
    lead[i] = digest.readUIntBE(0, 6);
  }
  const order = Int32Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => {
    const d = lead[a]! - lead[b]!;
    if (d !== 0) return d;
    return Buffer.compare(digests.subarray(a * 16, a * 16 + 16), digests.subarray(b * 16, b * 16 + 16));
  });
  return order;
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
