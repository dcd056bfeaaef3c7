import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo, UnsortedSegmentSumAttrs } from '@tensorflow/tfjs';
import { asWasmBackend, elementIndexOf, heapFloat32, heapInt32 } from './heap.js';

// Missing from the wasm backend (tfjs issue #8082), and the gradient of gather (an embedding
// lookup) is made of it. TensorFlow's semantics: out[s, ...] = sum of x[i, ...] over every
// position i of segmentIds whose id is s; ids outside [0, numSegments) are dropped.
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
  const values = x.dtype === 'int32' ? heapInt32(backend) : heapFloat32(backend);
  const ids = heapInt32(backend);
  const xStart = elementIndexOf(backend, x);
  const idsStart = elementIndexOf(backend, segmentIds);
  const outStart = elementIndexOf(backend, out);
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
