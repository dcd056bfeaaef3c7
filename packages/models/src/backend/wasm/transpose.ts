import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo, TransposeAttrs } from '@tensorflow/tfjs';
import { gatherRowsOnHeap } from './gather-rows.js';
import { asWasmBackend, byteOffsetOf, heapBuffer, heapMemory } from './heap.js';
import type { WasmBackend } from './heap.js';
import { transposeOnHeap } from './transpose-matrix.js';
import type { HeapView } from './transpose-matrix.js';

/**
 * The smallest equivalent problem: size-1 axes dropped, and axes that stay next to each other
 * in the same order merged ([a, b, c, d] permuted by [2, 3, 0, 1] is the transpose of an
 * [a b, c d] matrix).
 */
export function simplifyPermutation(shape: number[], perm: number[]): { shape: number[]; perm: number[] } {
  const kept = shape.map((_, axis) => axis).filter((axis) => shape[axis] !== 1);
  const rank = new Map(kept.map((axis, i) => [axis, i]));
  const order = perm.filter((axis) => shape[axis] !== 1).map((axis) => rank.get(axis) as number);
  const keptShape = kept.map((axis) => shape[axis]);
  // Merge input axes i and i+1 whenever i+1 directly follows i in the output order.
  const groups: number[][] = [];
  for (const axis of order) {
    const last = groups[groups.length - 1];
    if (last !== undefined && last[last.length - 1] + 1 === axis) last.push(axis);
    else groups.push([axis]);
  }
  const byFirstAxis = [...groups].sort((a, b) => a[0] - b[0]);
  const mergedShape = byFirstAxis.map((group) => group.reduce((size, axis) => size * keptShape[axis], 1));
  const mergedPerm = groups.map((group) => byFirstAxis.indexOf(group));
  return { shape: mergedShape, perm: mergedPerm };
}

function heapViewFor(backend: WasmBackend, dtype: string): { view: HeapView; bytes: number } {
  const buffer = heapBuffer(backend);
  if (dtype === 'float32' || dtype === 'int32') return { view: new Int32Array(buffer), bytes: 4 };
  if (dtype === 'bool') return { view: new Uint8Array(buffer), bytes: 1 };
  throw new Error(`Transpose on wasm takes float32, int32 or bool tensors, got ${dtype}`);
}

/** Copies x permuted into out, element offsets `from` and `to` in `heap` (`memory`: the heap's, for the SIMD matrix transposes). */
function permute(memory: object | undefined, heap: HeapView, from: number, to: number, shape: number[], perm: number[]): void {
  const rank = shape.length;
  const size = shape.reduce((a, b) => a * b, 1);
  if (rank <= 1) {
    heap.copyWithin(to, from, from + size);
    return;
  }
  if (perm[rank - 1] === rank - 2 && perm[rank - 2] === rank - 1 && perm.slice(0, -2).every((p, i) => p === i)) {
    // Batches of matrix transposes (after merging, any permutation that swaps two blocks).
    const rows = shape[rank - 2];
    const cols = shape[rank - 1];
    for (let b = 0; b < size; b += rows * cols) transposeOnHeap(memory, heap, from + b, to + b, rows, cols);
    return;
  }
  // General case: walk the output in order; each output row reads the input at a fixed stride
  // (stride 1 when the last axis stays last, as when heads are split).
  const inStrides = new Array<number>(rank);
  inStrides[rank - 1] = 1;
  for (let axis = rank - 2; axis >= 0; axis--) inStrides[axis] = inStrides[axis + 1] * shape[axis + 1];
  const outShape = perm.map((axis) => shape[axis]);
  const strides = perm.map((axis) => inStrides[axis]);
  const rowLength = outShape[rank - 1];
  const rowStride = strides[rank - 1];
  const index = new Array<number>(rank - 1).fill(0);
  let source = from;
  for (let out = to; out < to + size; out += rowLength) {
    if (rowStride === 1 && rowLength >= 64) {
      heap.copyWithin(out, source, source + rowLength);
    } else {
      for (let j = 0; j < rowLength; j++) heap[out + j] = heap[source + j * rowStride];
    }
    for (let axis = rank - 2; axis >= 0; axis--) {
      source += strides[axis];
      if (++index[axis] < outShape[axis]) break;
      source -= strides[axis] * outShape[axis];
      index[axis] = 0;
    }
  }
}

/**
 * A permutation that keeps the last axis last, of 4-byte elements, as a gather of whole rows
 * (../simd/rows.wat, split over the heap's threads by rows): the source row of each output row
 * is listed first, then the rows are copied in SIMD. Attention's head splits and merges
 * ([8, 1024, 4, 16] <-> [8, 4, 1024, 16]) moved rows of 16 one element at a time in JavaScript:
 * 13-15 ms a step on one thread. False where it does not apply.
 */
function permuteRows(backend: WasmBackend, x: TensorInfo, out: TensorInfo, shape: number[], perm: number[]): boolean {
  const rank = shape.length;
  if (rank < 2 || perm[rank - 1] !== rank - 1) return false;
  const rowLength = shape[rank - 1]!;
  const rows = shape.reduce((a, b) => a * b, 1) / rowLength;
  // In rows of the input: the strides of the leading axes, in the output's order.
  const rowStrides = new Array<number>(rank - 1);
  rowStrides[rank - 2] = 1;
  for (let axis = rank - 3; axis >= 0; axis--) rowStrides[axis] = rowStrides[axis + 1]! * shape[axis + 1]!;
  const outShape = perm.slice(0, -1).map((axis) => shape[axis]!);
  const strides = perm.slice(0, -1).map((axis) => rowStrides[axis]!);
  return gatherRowsOnHeap(backend, x, out, rowLength, rows, (sources) => {
    const index = new Array<number>(rank - 1).fill(0);
    let source = 0;
    for (let row = 0; row < rows; row++) {
      sources[row] = source;
      for (let axis = rank - 2; axis >= 0; axis--) {
        source += strides[axis]!;
        if (++index[axis]! < outShape[axis]!) break;
        source -= strides[axis]! * outShape[axis]!;
        index[axis] = 0;
      }
    }
  });
}

// The backend's Transpose walks rank-5 permutations element by element through a generic index
// computation, and does 2-D ones untiled: splitting attention heads ([B, N, 3, H, d] to
// [3, B, H, N, d], B 8, N 1024, 64 channels) took 80 ms, against 4 ms here, and a training step
// does it forward and backward.
const transpose: KernelFunc = ({ inputs, backend: backendLike, attrs }) => {
  const backend = asWasmBackend(backendLike);
  const x = inputs['x'] as TensorInfo;
  const { perm } = attrs as unknown as TransposeAttrs;
  const shape = perm.map((axis) => x.shape[axis]);
  const simple = simplifyPermutation(x.shape, perm);
  if (simple.perm.every((axis, i) => axis === i)) {
    // The same elements in the same order (gather's gradient transposes by the identity): the
    // data is shared, as Identity and Reshape share it; no kernel writes a tensor it returned.
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape, dtype: x.dtype };
  }
  const out = backend.makeOutput(shape, x.dtype);
  if (tf.util.sizeFromShape(x.shape) === 0) return out;
  if (permuteRows(backend, x, out, simple.shape, simple.perm)) return out;
  const { view, bytes } = heapViewFor(backend, x.dtype);
  permute(heapMemory(backend), view, byteOffsetOf(backend, x) / bytes, byteOffsetOf(backend, out) / bytes, simple.shape, simple.perm);
  return out;
};

export const transposeConfig: KernelConfig = {
  kernelName: tf.Transpose,
  backendName: 'wasm',
  kernelFunc: transpose,
};
