import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, SumAttrs, TensorInfo } from '@tensorflow/tfjs';
import { runBackendKernel } from './backend-own.js';
import { heapThreads, splitReduce } from '../parallel/heap-pool.js';
import { columnSumsSimdFor } from '../simd/simd-kernels.js';
import { allocateFloats, asWasmBackend, byteOffsetOf, heapFloat32, heapMemory, release } from './heap.js';
import { columnSumsScratchFloats, reduceBlocks, sumColumnBlocks } from './reduce-blocks.js';

/**
 * The reduction as [outer, reduced, inner] when the reduced axes are adjacent once size-1 axes
 * are set aside (leading axes, trailing axes, or a middle block); null otherwise.
 */
export function reductionBlocks(shape: number[], axes: number[]): { outer: number; reduced: number; inner: number } | null {
  const reducedAxes = new Set(axes);
  const live = shape.map((size, axis) => ({ size, reduced: reducedAxes.has(axis) })).filter((d) => d.size !== 1);
  const first = live.findIndex((d) => d.reduced);
  if (first < 0) return { outer: live.reduce((p, d) => p * d.size, 1), reduced: 1, inner: 1 };
  let end = first;
  while (end < live.length && live[end]!.reduced) end++;
  if (live.slice(end).some((d) => d.reduced)) return null;
  const product = (dims: typeof live): number => dims.reduce((p, d) => p * d.size, 1);
  return { outer: product(live.slice(0, first)), reduced: product(live.slice(first, end)), inner: product(live.slice(end)) };
}

// The backend's Sum and Mean reduce only innermost axes, so reducing leading ones (a bias
// gradient: [B, N, D] -> [D], a layer norm's scale gradient) first transposes the whole input
// with its own untiled Transpose. Summing rows into an accumulator the width of the kept axes
// needs no copy: [8, 4096, 64] -> [64] fell from about 35 ms to about 3 ms.
function reduction(kernelName: string, mean: boolean): KernelFunc {
  return ({ inputs, backend: backendLike, attrs }) => {
    const x = inputs['x'] as TensorInfo;
    const { axis, keepDims } = attrs as unknown as SumAttrs;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const blocks = x.dtype === 'float32' ? reductionBlocks(x.shape, axes) : null;
    if (blocks === null) return runBackendKernel(kernelName, inputs, backendLike, attrs as unknown as tf.NamedAttrMap);
    const backend = asWasmBackend(backendLike);
    const reducedShape = x.shape.map((size, d) => (axes.includes(d) ? 1 : size));
    const outShape = keepDims ? reducedShape : x.shape.filter((_, d) => !axes.includes(d));
    const out = backend.makeOutput(outShape, 'float32');
    const size = tf.util.sizeFromShape(outShape);
    if (size === 0) return out;
    const to = byteOffsetOf(backend, out) / 4;
    if (blocks.reduced === 0) {
      heapFloat32(backend).fill(mean ? Number.NaN : 0, to, to + size);
      return out;
    }
    const divisor = mean ? blocks.reduced : 1;
    const from = byteOffsetOf(backend, x) / 4;
    // The SIMD column sums' work area (only widths in fours take them), allocated before the
    // heap's view is taken: an allocation may grow the heap.
    const scratch = blocks.inner % 4 === 0 ? allocateFloats(backend, columnSumsScratchFloats(blocks.inner, heapThreads())) : -1;
    try {
      const heap = heapFloat32(backend);
      // Outputs split over the heap's threads where there are some: each output is still one thread's sum.
      if (splitReduce(heap, from, to, blocks.outer, blocks.reduced, blocks.inner, divisor, scratch)) return out;
      // Column sums in SIMD lanes where the kept inner width allows (the same bits).
      const memory = blocks.inner % 4 === 0 ? heapMemory(backend) : undefined;
      const simd = memory === undefined ? null : columnSumsSimdFor(memory);
      if (simd === null) reduceBlocks(heap, from, to, blocks.outer, blocks.reduced, blocks.inner, divisor);
      else sumColumnBlocks(simd, 4 * from, 4 * to, blocks.reduced, blocks.inner, divisor, { outerFirst: 0, outerLast: blocks.outer, innerFirst: 0, innerLast: blocks.inner }, scratch);
    } finally {
      if (scratch >= 0) release(backend, scratch);
    }
    return out;
  };
}

export const sumConfig: KernelConfig = { kernelName: tf.Sum, backendName: 'wasm', kernelFunc: reduction(tf.Sum, false) };
export const meanConfig: KernelConfig = { kernelName: tf.Mean, backendName: 'wasm', kernelFunc: reduction(tf.Mean, true) };
