// How an element-wise binary operation with broadcasting maps onto ../simd/binary.wat: one operand
// ("full") has the output's shape, the other ("broadcast") repeats over some of its axes. The
// output is seen as rows of `width` elements; row i = p q + s takes the broadcast operand's
// elements from p strideP + s strideQ, each column its own (splat false) or the first for all
// (splat true).

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div';

/** The .wat's operation codes; the reversed ones put the broadcast operand first. */
const OP_CODES: Record<BinaryOp, [number, number]> = { add: [0, 0], sub: [1, 2], mul: [3, 3], div: [4, 5] };

export interface BinaryLayout {
  /** Which input is the full one: 'a' (tfjs's first operand) or 'b'. */
  full: 'a' | 'b';
  op: number;
  rows: number;
  width: number;
  q: number;
  strideP: number;
  strideQ: number;
  splat: boolean;
}

/**
 * The layout of `op` on shapes a and b (numpy broadcasting), or null where neither operand has
 * the output's shape, or the broadcast one repeats in more than two separate runs of axes (the
 * backend's own kernel then runs). Size-1 axes of the output are set aside.
 */
export function binaryLayout(op: BinaryOp, aShape: readonly number[], bShape: readonly number[]): BinaryLayout | null {
  const rank = Math.max(aShape.length, bShape.length);
  const padded = (shape: readonly number[]) => [...new Array<number>(rank - shape.length).fill(1), ...shape];
  const [a, b] = [padded(aShape), padded(bShape)];
  const out = a.map((size, d) => (size === 1 ? b[d]! : size));
  if (a.some((size, d) => size !== out[d] && size !== 1) || b.some((size, d) => size !== out[d] && size !== 1)) return null;
  const aFull = a.every((size, d) => size === out[d]);
  const bFull = b.every((size, d) => size === out[d]);
  if (!aFull && !bFull) return null;
  const full = aFull ? 'a' : 'b';
  const other = full === 'a' ? b : a;
  // Runs of adjacent axes by whether the broadcast operand has them (true) or repeats over them.
  const runs: { kept: boolean; size: number }[] = [];
  out.forEach((size, d) => {
    if (size === 1) return;
    const kept = other[d] === size;
    const last = runs[runs.length - 1];
    if (last !== undefined && last.kept === kept) last.size *= size;
    else runs.push({ kept, size });
  });
  const total = runs.reduce((n, run) => n * run.size, 1);
  const code = OP_CODES[op][full === 'a' ? 0 : 1];
  const layout = (rows: number, width: number, q: number, strideP: number, strideQ: number, splat: boolean): BinaryLayout =>
    ({ full, op: code, rows, width, q, strideP, strideQ, splat });
  const pattern = runs.map((run) => (run.kept ? 'K' : 'B')).join('');
  const size = (i: number) => runs[i]!.size;
  switch (pattern) {
    case '': // one element
    case 'K': // the same shape
      return layout(1, total, 1, 0, 0, false);
    case 'B': // a single value over every element
      return layout(1, total, 1, 0, 0, true);
    case 'BK': // a row over every row (a bias)
      return layout(size(0), size(1), 1, 0, 0, false);
    case 'KB': // a value per row (a mask over channels)
      return layout(size(0), size(1), 1, 1, 0, true);
    case 'KBK': // a row per outer block (an attention mask over heads and queries)
      return layout(size(0) * size(1), size(2), size(1), size(2), 0, false);
    case 'BKB': // a value per middle row, repeated over the outer blocks
      return layout(size(0) * size(1), size(2), size(1), 0, 1, true);
    default:
      return null;
  }
}
