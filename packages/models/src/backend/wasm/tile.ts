import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo, TileAttrs } from '@tensorflow/tfjs';
import { runBackendKernel } from './backend-own.js';
import { gatherRowsOnHeap, rowGathersRun } from './gather-rows.js';
import { asWasmBackend } from './heap.js';

// The backend's Tile computes every output element's source through a generic index loop:
// [8, 1, 64] tiled 4096 times along the middle axis (a sum's gradient over a sequence) took
// 120 ms. The axes after the last tiled one are whole rows in both tensors, so a tile is a
// gather of rows: about 1 ms.
const tile: KernelFunc = ({ inputs, backend: backendLike, attrs }) => {
  const x = inputs['x'] as TensorInfo;
  const { reps } = attrs as unknown as TileAttrs;
  const backend = asWasmBackend(backendLike);
  if (!rowGathersRun(backend, x.dtype)) return runBackendKernel(tf.Tile, inputs, backendLike, attrs as unknown as tf.NamedAttrMap);
  const rank = x.shape.length;
  const outShape = x.shape.map((size, axis) => size * reps[axis]!);
  // The trailing axes that are not tiled: one contiguous row in x and in out.
  let kept = rank;
  let rowLength = 1;
  while (kept > 0 && reps[kept - 1] === 1) rowLength *= x.shape[--kept]!;
  const rows = tf.util.sizeFromShape(outShape.slice(0, kept));
  const out = backend.makeOutput(outShape, x.dtype);
  if (rows * rowLength === 0) return out;
  // Row strides of x's leading axes (in rows of rowLength).
  const strides = new Array<number>(kept);
  for (let axis = kept - 1, stride = 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= x.shape[axis]!;
  }
  gatherRowsOnHeap(backend, x, out, rowLength, rows, (sources) => {
    // Output rows in order: each axis's counter wraps x's size back to 0 in the source.
    const index = new Array<number>(kept).fill(0);
    let source = 0;
    for (let row = 0; row < rows; row++) {
      sources[row] = source;
      for (let axis = kept - 1; axis >= 0; axis--) {
        const at = ++index[axis]!;
        if (at < outShape[axis]!) {
          source += at % x.shape[axis]! === 0 ? -(x.shape[axis]! - 1) * strides[axis]! : strides[axis]!;
          break;
        }
        source -= (x.shape[axis]! - 1) * strides[axis]!;
        index[axis] = 0;
      }
    }
  });
  return out;
};

export const tileConfig: KernelConfig = { kernelName: tf.Tile, backendName: 'wasm', kernelFunc: tile };
