import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo, UnsortedSegmentSumAttrs } from '@tensorflow/tfjs';
import { splitSegmentSum } from '../parallel/heap-pool.js';
import { rowsSimdOf } from './gather-rows.js';
import { asWasmBackend, elementIndexOf, heapFloat32, heapInt32 } from './heap.js';

// Missing from the wasm backend (tfjs issue #8082), and the gradient of gather (an embedding
// lookup) is made of it. TensorFlow's semantics: out[s, ...] = sum of x[i, ...] over every
// position i of segmentIds whose id is s; ids outside [0, numSegments) are dropped. Float32 sums
// run in SIMD (../simd/rows.wat), split over the heap's threads by columns: each sum is still
// taken over the rows in order by one thread, the bits of the JavaScript loop (an embedding
// gradient of [8, 4096] tokens, 64 wide: 5 ms in JavaScript).
const unsortedSegmentSum: KernelFunc = ({ inputs, backend: backendLike, attrs }) => {
  const backend = asWasmBackend(backendLike);
  const x = inputs['x'] as TensorInfo;
  const segmentIds = inputs['segmentIds'] as TensorInfo;
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum on wasm takes float32 or int32 values, got ${x.dtype}`);
  }
  if (segmentIds.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum: segmentIds must be int32, got ${segmentIds.dtype}`);
  }
  const idsRank = segmentIds.shape.length;
  if (x.shape.slice(0, idsRank).join() !== segmentIds.shape.join()) {
    throw new Error(
      `UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`,
    );
  }
  const rowShape = x.shape.slice(idsRank);
  const rowSize = tf.util.sizeFromShape(rowShape);
  const count = tf.util.sizeFromShape(segmentIds.shape);

  const out = backend.makeOutput([numSegments, ...rowShape], x.dtype);
  const xStart = elementIndexOf(backend, x);
  const idsStart = elementIndexOf(backend, segmentIds);
  const outStart = elementIndexOf(backend, out);
  const simd = x.dtype === 'float32' ? rowsSimdOf(backend) : null;
  if (simd !== null) {
    const [xAt, idsAt, outAt] = [4 * xStart, 4 * idsStart, 4 * outStart];
    if (!splitSegmentSum(heapFloat32(backend), xAt, idsAt, outAt, count, rowSize, numSegments)) simd.segmentSum(xAt, idsAt, outAt, count, rowSize, numSegments, 0, rowSize);
    return out;
  }
  const values = x.dtype === 'int32' ? heapInt32(backend) : heapFloat32(backend);
  const ids = heapInt32(backend);
  values.fill(0, outStart, outStart + numSegments * rowSize);
  for (let i = 0; i < count; i++) {
    const segment = ids[idsStart + i];
    if (segment < 0 || segment >= numSegments) continue;
    const to = outStart + segment * rowSize;
    const from = xStart + i * rowSize;
    for (let j = 0; j < rowSize; j++) values[to + j] += values[from + j];
  }
  return out;
};

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};
