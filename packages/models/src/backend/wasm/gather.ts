import * as tf from '@tensorflow/tfjs';
import type { GatherV2Attrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { runBackendKernel } from './backend-own.js';
import { copyRowsByIndex, rowsSimdOf } from './gather-rows.js';
import { asWasmBackend, byteOffsetOf, heapInt32 } from './heap.js';

// The backend's Gather moves one element at a time through a strided index computation: an
// embedding lookup of [8, 4096] ids from [256, 64] took 70-90 ms. Gathering whole rows (the
// slices after the gathered axis) is one block copy per index: under 2 ms in JavaScript, where
// each copy is a call of copyWithin; in SIMD (../simd/rows.wat), split over the heap's threads
// by indices, about 0.3 ms.
const gatherV2: KernelFunc = ({ inputs, backend: backendLike, attrs }) => {
  const x = inputs['x'] as TensorInfo;
  const indices = inputs['indices'] as TensorInfo;
  const { axis, batchDims } = attrs as unknown as GatherV2Attrs;
  const backend = asWasmBackend(backendLike);
  if (batchDims !== 0 || (x.dtype !== 'float32' && x.dtype !== 'int32') || indices.dtype !== 'int32') {
    return runBackendKernel(tf.GatherV2, inputs, backendLike, attrs as unknown as tf.NamedAttrMap);
  }
  const gathered = tf.util.parseAxisParam(axis, x.shape)[0]!;
  const axisSize = x.shape[gathered]!;
  const outer = tf.util.sizeFromShape(x.shape.slice(0, gathered));
  const inner = tf.util.sizeFromShape(x.shape.slice(gathered + 1));
  const count = tf.util.sizeFromShape(indices.shape);
  const out = backend.makeOutput(
    [...x.shape.slice(0, gathered), ...indices.shape, ...x.shape.slice(gathered + 1)], x.dtype,
  );
  const heap = heapInt32(backend);
  const indexStart = byteOffsetOf(backend, indices) / 4;
  for (let j = 0; j < count; j++) {
    const index = heap[indexStart + j]!;
    if (!(index >= 0 && index < axisSize)) {
      backend.disposeData(out.dataId);
      throw new Error(`GatherV2: the index value ${index} is not in [0, ${axisSize - 1}]`);
    }
  }
  if (outer * count * inner === 0) return out;
  const from = byteOffsetOf(backend, x) / 4;
  const to = byteOffsetOf(backend, out) / 4;
  const simd = rowsSimdOf(backend);
  for (let o = 0; o < outer; o++) {
    const block = from + o * axisSize * inner;
    const target = to + o * count * inner;
    if (simd !== null) {
      copyRowsByIndex(backend, simd, 4 * block, 4 * indexStart, 4 * target, inner, count);
      continue;
    }
    for (let j = 0; j < count; j++) {
      const start = block + heap[indexStart + j]! * inner;
      if (inner === 1) heap[target + j] = heap[start]!;
      else heap.copyWithin(target + j * inner, start, start + inner);
    }
  }
  return out;
};

export const gatherV2Config: KernelConfig = {
  kernelName: tf.GatherV2,
  backendName: 'wasm',
  kernelFunc: gatherV2,
};
