import * as tf from '@tensorflow/tfjs';
import type {
  DepthwiseConv2dNativeBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo,
} from '@tensorflow/tfjs';
import { asWasmBackend, elementIndexOf, heapFloat32 } from './heap.js';

/**
 * The input gradient of a depthwise convolution (NHWC), which the wasm backend lacks. Written as
 * the forward convolution's adjoint: every output pixel scatters
 * dx[input pixel, c] += sum over m of dy[pixel, c * mult + m] * w[fy, fx, c, m]
 * to the input pixels its taps read, which handles strides, dilations and padding alike.
 */
const depthwiseConv2dNativeBackpropInput: KernelFunc = ({ inputs, backend: backendLike, attrs }) => {
  const backend = asWasmBackend(backendLike);
  const dy = inputs['dy'] as TensorInfo;
  const filter = inputs['filter'] as TensorInfo;
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    inputShape, filter.shape as [number, number, number, number], strides, dilations ?? 1, pad,
    dimRoundingMode, true,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const multiplier = outChannels / inChannels;

  const dx = backend.makeOutput(info.inShape, 'float32');
  const heap = heapFloat32(backend);
  const dyStart = elementIndexOf(backend, dy);
  const wStart = elementIndexOf(backend, filter);
  const dxStart = elementIndexOf(backend, dx);
  heap.fill(0, dxStart, dxStart + batchSize * inHeight * inWidth * inChannels);
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
            const pixel = dxStart + ((b * inHeight + iy) * inWidth + ix) * inChannels;
            const tap = wStart + (fy * filterWidth + fx) * outChannels;
            if (multiplier === 1) {
              for (let c = 0; c < inChannels; c++) heap[pixel + c] += heap[gradient + c] * heap[tap + c];
            } else {
              for (let c = 0; c < inChannels; c++) {
                let sum = 0;
                for (let q = c * multiplier; q < (c + 1) * multiplier; q++) {
                  sum += heap[gradient + q] * heap[tap + q];
                }
                heap[pixel + c] += sum;
              }
            }
          }
        }
      }
    }
  }
  return dx;
};

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput,
};
