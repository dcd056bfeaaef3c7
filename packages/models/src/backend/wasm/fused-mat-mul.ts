import * as tf from '@tensorflow/tfjs';
import type {
  _FusedMatMulAttrs, KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo,
} from '@tensorflow/tfjs';
import { batchMatMulOnHeap } from './batch-mat-mul.js';
import { asWasmBackend } from './heap.js';
import type { WasmBackend } from './heap.js';

function runWasmKernel(
  backend: WasmBackend, kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {},
): TensorInfo {
  return tf.getKernel(kernelName, 'wasm').kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

function applyActivation(
  backend: WasmBackend, x: TensorInfo, attrs: _FusedMatMulAttrs, preluWeights: TensorInfo | undefined,
): TensorInfo {
  switch (attrs.activation) {
    case 'relu': return runWasmKernel(backend, tf.Relu, { x });
    case 'relu6': return runWasmKernel(backend, tf.Relu6, { x });
    case 'elu': return runWasmKernel(backend, tf.Elu, { x });
    case 'sigmoid': return runWasmKernel(backend, tf.Sigmoid, { x });
    case 'leakyrelu': return runWasmKernel(backend, tf.LeakyRelu, { x }, { alpha: attrs.leakyreluAlpha ?? 0.2 });
    case 'prelu': return runWasmKernel(backend, tf.Prelu, { x, alpha: preluWeights });
    default: throw new Error(`_FusedMatMul: unknown activation '${String(attrs.activation)}'`);
  }
}

// The backend's own _FusedMatMul sends any product with batch dimensions or a transpose flag to
// its slow loop. This one does the product as BatchMatMul does, then adds the bias and applies
// the activation with the backend's element-wise kernels, as the cpu backend composes it.
const fusedMatMul: KernelFunc = ({ inputs, backend: backendLike, attrs }) => {
  const backend = asWasmBackend(backendLike);
  const fusedAttrs = attrs as unknown as _FusedMatMulAttrs;
  const bias = inputs['bias'];
  let current = batchMatMulOnHeap(
    backend, inputs['a'] as TensorInfo, inputs['b'] as TensorInfo,
    fusedAttrs.transposeA, fusedAttrs.transposeB,
  );
  if (bias != null) {
    const withBias = runWasmKernel(backend, tf.Add, { a: current, b: bias });
    backend.disposeData(current.dataId);
    current = withBias;
  }
  if (fusedAttrs.activation !== 'linear' && fusedAttrs.activation != null) {
    const activated = applyActivation(backend, current, fusedAttrs, inputs['preluActivationWeights']);
    backend.disposeData(current.dataId);
    current = activated;
  }
  return current;
};

export const fusedMatMulConfig: KernelConfig = {
  kernelName: tf._FusedMatMul,
  backendName: 'wasm',
  kernelFunc: fusedMatMul,
};
