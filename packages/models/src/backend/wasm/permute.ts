// Transpose's copy on the wasm heap (transpose.ts), with no tfjs import: the heap's worker
// threads (../parallel/heap-worker.ts) run it on ranges of output rows.
import { transposeMatrix } from './transpose-matrix.js';
import type { HeapView } from './transpose-matrix.js';

/** Whether a (simplified) permutation is a batch of matrix transposes. */
function isMatrixBatch(perm: number[]): boolean {
  const rank = perm.length;
  return rank >= 2 && perm[rank - 1] === rank - 2 && perm[rank - 2] === rank - 1 && perm.slice(0, -2).every((p, i) => p === i);
}

/**
 * The output rows the copy of `shape` permuted by `perm` is split by: [count, length]. A batch of
 * matrix transposes writes each output row (an input column) with the tiled transpose; any other
 * permutation walks the output's last axis.
 */
export function permuteRows(shape: number[], perm: number[]): [number, number] {
  const rank = shape.length;
  const size = shape.reduce((a, b) => a * b, 1);
  if (rank <= 1) return [1, size];
  const rowLength = isMatrixBatch(perm) ? shape[rank - 2]! : shape[perm[rank - 1]!]!;
  return [size / rowLength, rowLength];
}

/**
 * Copies x permuted into out, element offsets `from` and `to` in `heap`: the output rows
 * (permuteRows) in [firstRow, endRow), all of them by default.
 */
export function permute(heap: HeapView, from: number, to: number, shape: number[], perm: number[], firstRow = 0, endRow?: number): void {
  const rank = shape.length;
  const size = shape.reduce((a, b) => a * b, 1);
  if (rank <= 1) {
    if (firstRow === 0 && (endRow ?? 1) >= 1) heap.copyWithin(to, from, from + size);
    return;
  }
  if (isMatrixBatch(perm)) {
    // Batches of matrix transposes (after merging, any permutation that swaps two blocks).
    const rows = shape[rank - 2]!;
    const cols = shape[rank - 1]!;
    const end = endRow ?? size / rows;
    for (let b = Math.floor(firstRow / cols); b * cols < end; b++) {
      const start = b * rows * cols;
      transposeMatrix(heap, from + start, to + start, rows, cols, Math.max(firstRow - b * cols, 0), Math.min(end - b * cols, cols));
    }
    return;
  }
  // General case: walk the output in order; each output row reads the input at a fixed stride
  // (stride 1 when the last axis stays last, as when heads are split).
  const inStrides = new Array<number>(rank);
  inStrides[rank - 1] = 1;
  for (let axis = rank - 2; axis >= 0; axis--) inStrides[axis] = inStrides[axis + 1]! * shape[axis + 1]!;
  const outShape = perm.map((axis) => shape[axis]!);
  const strides = perm.map((axis) => inStrides[axis]!);
  const rowLength = outShape[rank - 1]!;
  const rowStride = strides[rank - 1]!;
  const end = to + (endRow ?? size / rowLength) * rowLength;
  // The output row firstRow's index over the leading axes, and where it reads the input.
  const index = new Array<number>(rank - 1).fill(0);
  let source = from;
  for (let axis = rank - 2, rest = firstRow; axis >= 0; axis--) {
    index[axis] = rest % outShape[axis]!;
    rest = Math.floor(rest / outShape[axis]!);
    source += index[axis]! * strides[axis]!;
  }
  for (let out = to + firstRow * rowLength; out < end; out += rowLength) {
    if (rowStride === 1 && rowLength >= 64) {
      heap.copyWithin(out, source, source + rowLength);
    } else {
      for (let j = 0; j < rowLength; j++) heap[out + j] = heap[source + j * rowStride]!;
    }
    for (let axis = rank - 2; axis >= 0; axis--) {
      source += strides[axis]!;
      if (++index[axis]! < outShape[axis]!) break;
      source -= strides[axis]! * outShape[axis]!;
      index[axis] = 0;
    }
  }
}
