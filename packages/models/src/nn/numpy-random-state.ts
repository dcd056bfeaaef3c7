// numpy's legacy global generator (numpy.random.seed / numpy.random.permutation), reproduced
// draw for draw: the Mersenne Twister MT19937 seeded from a 32-bit integer as numpy seeds it, and
// permutations by numpy's Fisher-Yates (from the last element down, each index drawn by rejection
// from the smallest bit mask covering it). Where a reference draws from that generator (LRA's
// BigBird draws its random blocks with it), the same seed gives the same draws here.

const STATE = 624;
const SHIFT = 397;

export class NumpyRandomState {
  private readonly key = new Uint32Array(STATE);
  private position = STATE;

  /** numpy.random.seed(seed) for an integer 0 <= seed < 2^32. */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`seed must be an integer in [0, 2^32), got ${seed}`);
    let value = seed >>> 0;
    for (let i = 0; i < STATE; i++) {
      this.key[i] = value;
      value = (Math.imul(1812433253, value ^ (value >>> 30)) + i + 1) >>> 0;
    }
  }

  /** The next 32-bit output. */
  nextUint32(): number {
    if (this.position >= STATE) this.twist();
    let y = this.key[this.position++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A uniform integer in [0, max] (max < 2^32), as numpy's random_interval draws it. */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let value: number;
    do value = (this.nextUint32() & mask) >>> 0;
    while (value > max);
    return value;
  }

  /** numpy.random.permutation(values) of a one-dimensional array: a shuffled copy. */
  permutation<T>(values: readonly T[]): T[] {
    const out = values.slice();
    for (let i = out.length - 1; i >= 1; i--) {
      const j = this.interval(i);
      const held = out[i]!;
      out[i] = out[j]!;
      out[j] = held;
    }
    return out;
  }

  private twist(): void {
    const key = this.key;
    for (let i = 0; i < STATE; i++) {
      const y = (key[i]! & 0x80000000) | (key[(i + 1) % STATE]! & 0x7fffffff);
      key[i] = (key[(i + SHIFT) % STATE]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0)) >>> 0;
    }
    this.position = 0;
  }
}
