// The fixed attention pattern of the Sparse Transformer (Child et al. 2019) as the Long Range
// Arena builds it (lra_benchmarks/models/sparse_transformer/sparse_attention.py): the union of
// its "Fixed1" and "Fixed2" heads, each causal (key <= query), and with a CLS token a first row
// and column that allow every pair.

export interface FixedPatternOptions {
  /** Fixed1: a query sees the keys of its own block of this many positions (LRA: 50). */
  blockSize: number;
  /** Fixed2: every key whose position mod blockSize is 0 or at least blockSize - c (LRA: 10). */
  c: number;
}

/** Whether query q may attend to key k in a sequence without CLS. */
export function fixedPatternAllows(q: number, k: number, options: FixedPatternOptions): boolean {
  if (k > q) return false;
  const { blockSize, c } = options;
  if (Math.floor(q / blockSize) === Math.floor(k / blockSize)) return true;
  const remainder = k % blockSize;
  return remainder === 0 || remainder >= blockSize - c;
}

/**
 * The allowed pairs, [length, length] row-major with 1 where allowed. With a CLS token at
 * position 0 the pattern is built on the other length - 1 positions and padded with ones in
 * front: CLS sees every key (the future included) and every query sees CLS.
 */
export function fixedPattern(length: number, options: FixedPatternOptions, hasCls: boolean): Float32Array {
  const allowed = new Float32Array(length * length);
  const shift = hasCls ? 1 : 0;
  for (let q = 0; q < length; q++) {
    for (let k = 0; k < length; k++) {
      const open = (hasCls && (q === 0 || k === 0)) || (q >= shift && k >= shift && fixedPatternAllows(q - shift, k - shift, options));
      allowed[q * length + k] = open ? 1 : 0;
    }
  }
  return allowed;
}
