import * as tf from '@tensorflow/tfjs';
import type {
  DepthwiseConv2dNativeBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo,
} from '@tensorflow/tfjs';
import { asWasmBackend, elementIndexOf, heapFloat32 } from './heap.js';

/**
 * The filter gradient of a depthwise convolution (NHWC), which the wasm backend lacks:
 * dW[fy, fx, c, m] = sum over batch and output pixels of x[input pixel, c] * dy[pixel, c * mult + m].
 * Each channel only meets itself, so there is no product to hand to XNNPACK; the loops run over
 * output pixels and taps with channels innermost, where the heap is contiguous.
 */
const depthwiseConv2dNativeBackpropFilter: KernelFunc = ({ inputs, backend: backendLike, attrs }) => {
  const backend = asWasmBackend(backendLike);
  const x = inputs['x'] as TensorInfo;
  const dy = inputs['dy'] as TensorInfo;
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, dilations ?? 1, pad,
    dimRoundingMode, true,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const multiplier = outChannels / inChannels;

  const dw = backend.makeOutput(info.filterShape, 'float32');
  const heap = heapFloat32(backend);
  const xStart = elementIndexOf(backend, x);
  const dyStart = elementIndexOf(backend, dy);
  const dwStart = elementIndexOf(backend, dw);
  heap.fill(0, dwStart, dwStart + filterHeight * filterWidth * outChannels);
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const gradient = dyStart + ((b * outHeight + oy) * outWidth + ox) * outChannels;
        for (let fy = 0; fy < filterHeight; fy++) {
          const iy = oy * strideHeight + fy * dilationHeight - top;
          if (iy < 0 || iy >= inHeight) continue;
          for (let fx = 0; fx < filterWidth; fx++) {
            const ix = ox * strideWidth + fx * dilationWidth - left;
            if (ix < 0 || ix >= inWidth) continue;
            const pixel = xStart + ((b * inHeight + iy) * inWidth + ix) * inChannels;
            const tap = dwStart + (fy * filterWidth + fx) * outChannels;
            if (multiplier === 1) {
              for (let c = 0; c < inChannels; c++) heap[tap + c] += heap[pixel + c] * heap[gradient + c];
            } else {
              for (let c = 0; c < inChannels; c++) {
                const value = heap[pixel + c];
                for (let q = c * multiplier; q < (c + 1) * multiplier; q++) {
                  heap[tap + q] += value * heap[gradient + q];
                }
              }
            }
          }
        }
      }
    }
  }
  return dw;
};

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter,
};
