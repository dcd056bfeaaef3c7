// Seeded test data, reproducible across runs and machines.
import seedrandom from 'seedrandom';

/** `count` values uniform in [low, high) from a seeded generator. */
export function seededUniform(seed: string, count: number, low = -1, high = 1): Float64Array {
  const rng = seedrandom(seed);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = low + (high - low) * rng();
  return out;
}
