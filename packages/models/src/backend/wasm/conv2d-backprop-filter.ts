import * as tf from '@tensorflow/tfjs';
import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import {
  allocateFloats, asWasmBackend, byteOffsetOf, elementIndexOf, heapFloat32, release,
} from './heap.js';
import { multiplyOnHeap } from './multiply-on-heap.js';

// Bounds the im2col scratch space; taps beyond it are processed in further products.
const MAX_SCRATCH_FLOATS = 16 * 1024 * 1024;

/**
 * The filter gradient of Conv2D (hence of conv1d), which the wasm backend lacks.
 * dW[fy, fx, ci, co] = sum over output positions p of x[pixel that tap (fy, fx) reads at p, ci]
 * * dy[p, co]. Gathering, for every tap, the input pixels it reads (zero in the padding) as a
 * [ci, positions] block turns the whole gradient into one product of those stacked blocks with
 * dy seen as [positions, co], whose [fh * fw * ci, co] result is dW's own layout. The product runs
 * on XNNPACK; only the gather is JavaScript.
 */
const conv2DBackpropFilter: KernelFunc = ({ inputs, backend: backendLike, attrs }) => {
  const backend = asWasmBackend(backendLike);
  const x = inputs['x'] as TensorInfo;
  const dy = inputs['dy'] as TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as Conv2DBackpropFilterAttrs;
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
  if (format !== 'channelsLast') {
    // The backend's forward Conv2D rejects this layout too, so no gradient can ask for it.
    throw new Error(`Conv2DBackpropFilter on wasm takes NHWC data, like its Conv2D; got ${dataFormat}`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode,
    false, format,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const taps = filterHeight * filterWidth;
  const positions = batchSize * outHeight * outWidth;

  const dw = backend.makeOutput(info.filterShape, 'float32');
  if (taps * inChannels * outChannels === 0) return dw;
  if (positions === 0) {
    const start = elementIndexOf(backend, dw);
    heapFloat32(backend).fill(0, start, start + taps * inChannels * outChannels);
    return dw;
  }

  const blockSize = inChannels * positions;
  const tapsPerProduct = Math.max(1, Math.min(taps, Math.floor(MAX_SCRATCH_FLOATS / blockSize)));
  const columns = allocateFloats(backend, tapsPerProduct * blockSize);
  try {
    for (let firstTap = 0; firstTap < taps; firstTap += tapsPerProduct) {
      const tapCount = Math.min(tapsPerProduct, taps - firstTap);
      // A fresh view each round: the previous product may have grown the heap.
      const heap = heapFloat32(backend);
      const xStart = elementIndexOf(backend, x);
      for (let t = 0; t < tapCount; t++) {
        const fy = Math.floor((firstTap + t) / filterWidth);
        const fx = (firstTap + t) % filterWidth;
        const block = columns / 4 + t * blockSize;
        let p = 0;
        for (let b = 0; b < batchSize; b++) {
          for (let oy = 0; oy < outHeight; oy++) {
            const iy = oy * strideHeight + fy - top;
            for (let ox = 0; ox < outWidth; ox++, p++) {
              const ix = ox * strideWidth + fx - left;
              const inside = iy >= 0 && iy < inHeight && ix >= 0 && ix < inWidth;
              const pixel = xStart + ((b * inHeight + iy) * inWidth + ix) * inChannels;
              for (let c = 0; c < inChannels; c++) {
                heap[block + c * positions + p] = inside ? heap[pixel + c] : 0;
              }
            }
          }
        }
      }
      multiplyOnHeap(
        backend, columns, byteOffsetOf(backend, dy),
        byteOffsetOf(backend, dw) + firstTap * inChannels * outChannels * 4,
        tapCount * inChannels, positions, outChannels,
      );
    }
  } finally {
    release(backend, columns);
  }
  return dw;
};

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
