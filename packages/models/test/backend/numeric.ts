import seedrandom from 'seedrandom';
import { expect } from 'vitest';

/** Deterministic standard-normal values (Box-Muller over a seeded generator). */
export function normalArray(seed: string, size: number, scale = 1): Float32Array {
  const random = seedrandom(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const u = 1 - random();
    const v = random();
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

/** Largest absolute difference, relative to the largest magnitude of the reference. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let difference = 0;
  let magnitude = 0;
  for (let i = 0; i < expected.length; i++) {
    difference = Math.max(difference, Math.abs(actual[i] - expected[i]));
    magnitude = Math.max(magnitude, Math.abs(expected[i]));
  }
  if (!Number.isFinite(difference)) return Number.POSITIVE_INFINITY;
  return magnitude === 0 ? difference : difference / magnitude;
}

export function expectClose(
  actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5, label = '',
): void {
  const error = relativeError(actual, expected);
  expect(error, `${label} relative error ${error}`).toBeLessThanOrEqual(tolerance);
}
