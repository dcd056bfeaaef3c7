import seedrandom from 'seedrandom';

/**
 * A 31-bit non-zero seed derived from the run seed and a purpose (e.g. "dropout/step/120"):
 * every random choice of a run is a pure function of (seed, what, when), so a resumed run
 * draws exactly what an uninterrupted one would. Never 0: tfjs treats seed 0 as "unseeded".
 */
export function deriveSeed(seed: number, purpose: string): number {
  const v = (seedrandom(`${seed}/${purpose}`).int32() >>> 1) & 0x7fffffff;
  return v === 0 ? 1 : v;
}
