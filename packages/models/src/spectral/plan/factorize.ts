// Length factorisation for the mixed-radix FFT and choice of fast padded lengths.

/**
 * Largest prime handled by a generic odd-radix butterfly. A radix-p stage costs O(p) per point,
 * so larger primes go through Bluestein's algorithm instead, which keeps every length O(N log N).
 * Measured crossover: equal cost at p = 61 (1952 = 32 * 61), Bluestein ahead from 97.
 */
export const LARGEST_DIRECT_PRIME = 59;

/** Prime factors of n in ascending order, with multiplicity. */
export function primeFactors(n: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`length must be a positive integer, got ${n}`);
  const factors: number[] = [];
  let rest = n;
  for (let p = 2; p * p <= rest; p += p === 2 ? 1 : 2) {
    while (rest % p === 0) {
      factors.push(p);
      rest /= p;
    }
  }
  if (rest > 1) factors.push(rest);
  return factors;
}

/**
 * The radices of a mixed-radix plan for n (their product is n), or null when n has a prime
 * factor above LARGEST_DIRECT_PRIME. Powers of two go in eights, the cheapest butterfly per point
 * here, with the remainder as 4 or 4 * 4 (2 only for n = 2); then the odd primes.
 * Exception: when n is a multiple of 4096 above 4096, a radix-8 stage reads and writes sixteen
 * streams whose distance, n/8 doubles, is a multiple of 4 KiB; they evict each other from the L1
 * cache (measured at 8192 and 16384: twice slower than radix 4). Such lengths use fours. At 4096
 * the whole transform stays in L2 and eights still win (0.85 vs 0.96 ns per n log2 n).
 */
export function mixedRadices(n: number): number[] | null {
  const factors = primeFactors(n);
  if (factors.some((p) => p > LARGEST_DIRECT_PRIME)) return null;
  const twos = factors.filter((p) => p === 2).length;
  const radices: number[] = [];
  if (n % 4096 === 0 && n > 4096) {
    for (let i = 0; i + 1 < twos; i += 2) radices.push(4);
    if (twos % 2 === 1) radices.push(2);
  } else {
    let eights = Math.floor(twos / 3);
    const rest = twos % 3;
    if (rest === 1 && eights > 0) eights -= 1;
    for (let i = 0; i < eights; i++) radices.push(8);
    if (rest === 2) radices.push(4);
    if (rest === 1) radices.push(...(twos > 1 ? [4, 4] : [2]));
  }
  for (const p of factors) if (p !== 2) radices.push(p);
  return radices;
}

/** True when n = 2^a 3^b 5^c. */
export function isFiveSmooth(n: number): boolean {
  let rest = n;
  for (const p of [2, 3, 5]) while (rest % p === 0) rest /= p;
  return rest === 1;
}

/**
 * The smallest 5-smooth length >= minLength. Linear convolutions only need a circular length
 * >= 2N - 1, and a 5-smooth one is both fast and rarely much above it.
 */
export function nextFastLength(minLength: number): number {
  let n = Math.max(1, Math.ceil(minLength));
  while (!isFiveSmooth(n)) n++;
  return n;
}
