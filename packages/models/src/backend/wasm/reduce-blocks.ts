// The sums behind the wasm Sum and Mean kernels (reduce.ts), apart from tfjs so that the heap
// pool's workers (../parallel) can run them: out[o, i] = sum over r of x[o, r, i] / divisor.
// Every output element is summed by one thread in the same order, whatever the slicing, so the
// result does not depend on the number of threads.
import type { ColumnSumsSimd } from '../simd/simd-kernels.js';

/** Which outputs a call computes: outer rows [outerFirst, outerLast), inner columns [innerFirst, innerLast). */
export interface ReduceRange {
  outerFirst: number;
  outerLast: number;
  innerFirst: number;
  innerLast: number;
}

/**
 * out[o, i] = sum over r < reduced of heap[from + (o reduced + r) inner + i], divided by
 * `divisor`, accumulated in double precision, for the outputs in `range` (default: all).
 */
export function reduceBlocks(
  heap: Float32Array, from: number, to: number, outer: number, reduced: number, inner: number, divisor: number,
  range: ReduceRange = { outerFirst: 0, outerLast: outer, innerFirst: 0, innerLast: inner },
): void {
  const { outerFirst, outerLast, innerFirst, innerLast } = range;
  if (inner === 1) {
    for (let o = outerFirst; o < outerLast; o++) {
      let total = 0;
      const row = from + o * reduced;
      for (let r = 0; r < reduced; r++) total += heap[row + r]!;
      heap[to + o] = total / divisor;
    }
    return;
  }
  const width = innerLast - innerFirst;
  const totals = new Float64Array(width);
  for (let o = outerFirst; o < outerLast; o++) {
    totals.fill(0);
    for (let r = 0; r < reduced; r++) {
      const row = from + (o * reduced + r) * inner + innerFirst;
      for (let i = 0; i < width; i++) totals[i]! += heap[row + i]!;
    }
    const out = to + o * inner + innerFirst;
    for (let i = 0; i < width; i++) heap[out + i] = totals[i]! / divisor;
  }
}

/**
 * The outputs in `range` with the SIMD column sums (the same bits as reduceBlocks: float32 values
 * added in float64 in row order); inner a multiple of 4; from, to and scratch byte offsets, with
 * 8 bytes of scratch per column of the range.
 */
export function sumColumnBlocks(
  simd: ColumnSumsSimd, from: number, to: number, reduced: number, inner: number, divisor: number, range: ReduceRange, scratch: number,
): void {
  const width = range.innerLast - range.innerFirst;
  for (let o = range.outerFirst; o < range.outerLast; o++) {
    simd.sumColumns(from + 4 * (o * reduced * inner + range.innerFirst), reduced, 4 * inner, width, to + 4 * (o * inner + range.innerFirst), divisor, scratch);
  }
}

/** Floats of scratch the SIMD column sums of a reduction need, for `parts` threads (each its own). */
export function columnSumsScratchFloats(inner: number, parts: number): number {
  return 2 * inner * parts;
}

/**
 * Slice `part` of `parts` of a reduction's outputs: by outer rows where there are enough of them,
 * else by inner columns in runs of 16 (64 bytes, a cache line).
 */
export function reduceSlice(outer: number, inner: number, part: number, parts: number, partRange: (count: number, parts: number, part: number, align?: number) => [number, number]): ReduceRange {
  if (inner === 1 || outer >= parts) {
    const [outerFirst, outerLast] = partRange(outer, parts, part);
    return { outerFirst, outerLast, innerFirst: 0, innerLast: inner };
  }
  const [innerFirst, innerLast] = partRange(inner, parts, part, 16);
  return { outerFirst: 0, outerLast: outer, innerFirst, innerLast };
}
