import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend } from './heap.js';

// tfjs-core clones every tensor a gradient will need through Identity, and the wasm backend's
// Identity copies the data: nine copies of the 128 MB attention matrix in a training step of
// B 8, N 1024, 4 heads (about 20 ms each). Data is never written after a kernel returns it, so,
// as the cpu backend and the wasm Reshape kernel do, the clone shares the buffer and its
// reference count instead.
const identity: KernelFunc = ({ inputs, backend }) => {
  const x = inputs['x'] as TensorInfo;
  asWasmBackend(backend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

export const identityConfig: KernelConfig = {
  kernelName: tf.Identity,
  backendName: 'wasm',
  kernelFunc: identity,
};
