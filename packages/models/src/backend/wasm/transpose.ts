import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo, TransposeAttrs } from '@tensorflow/tfjs';
import { asWasmBackend, byteOffsetOf, heapBuffer } from './heap.js';
import type { WasmBackend } from './heap.js';
import type { HeapView } from './transpose-matrix.js';
import { permute } from './permute.js';
import { splitPermute } from '../parallel/heap-pool.js';

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

// The backend's Transpose walks rank-5 permutations element by element through a generic index
// computation, and does 2-D ones untiled: splitting attention heads ([B, N, 3, H, d] to
// [3, B, H, N, d], B 8, N 1024, 64 channels) took 80 ms, against 4 ms here, and a training step
// does it forward and backward.
const transpose: KernelFunc = ({ inputs, backend: backendLike, attrs }) => {
  const backend = asWasmBackend(backendLike);
  const x = inputs['x'] as TensorInfo;
  const { perm } = attrs as unknown as TransposeAttrs;
  const out = backend.makeOutput(perm.map((axis) => x.shape[axis]), x.dtype);
  if (tf.util.sizeFromShape(x.shape) === 0) return out;
  const { view, bytes } = heapViewFor(backend, x.dtype);
  const simple = simplifyPermutation(x.shape, perm);
  const [from, to] = [byteOffsetOf(backend, x) / bytes, byteOffsetOf(backend, out) / bytes];
  // Large ones over the heap's threads, by rows of the output; the same copy either way.
  if (!splitPermute(view, bytes, from, to, simple.shape, simple.perm)) permute(view, from, to, simple.shape, simple.perm);
  return out;
};

export const transposeConfig: KernelConfig = {
  kernelName: tf.Transpose,
  backendName: 'wasm',
  kernelFunc: transpose,
};
