import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { runBackendKernel } from './backend-own.js';
import { splitBinary } from '../parallel/heap-pool.js';
import { binarySimdFor } from '../simd/simd-kernels.js';
import { binaryLayout, type BinaryOp } from './binary-layout.js';
import { asWasmBackend, byteOffsetOf, heapFloat32, heapMemory } from './heap.js';

// The backend's Add, Sub, Multiply and RealDiv go to XNNPACK, whose element-wise operators ran
// slower on two threads than on one in a profiled step here: the residual adds, bias
// adds, masks over channels and attention's mask over heads were about a tenth of a training
// step on two threads, none of it split. These run the same IEEE operations in SIMD lanes on the
// project's pool (../simd/binary.wat), so the bits are the backend's, for any thread count.
function binaryKernel(kernelName: string, op: BinaryOp): KernelFunc {
  return ({ inputs, backend: backendLike, attrs }) => {
    const a = inputs['a'] as TensorInfo;
    const b = inputs['b'] as TensorInfo;
    const backend = asWasmBackend(backendLike);
    const layout = a.dtype === 'float32' && b.dtype === 'float32' ? binaryLayout(op, a.shape, b.shape) : null;
    const memory = layout === null ? undefined : heapMemory(backend);
    const simd = memory === undefined ? null : binarySimdFor(memory);
    if (layout === null || simd === null) return runBackendKernel(kernelName, inputs, backendLike, attrs ?? {});
    const out = backend.makeOutput(tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape), 'float32');
    if (layout.rows * layout.width === 0) return out;
    const [full, broadcast] = layout.full === 'a' ? [a, b] : [b, a];
    const [xAt, yAt, outAt] = [byteOffsetOf(backend, full), byteOffsetOf(backend, broadcast), byteOffsetOf(backend, out)];
    if (!splitBinary(heapFloat32(backend), layout, xAt, yAt, outAt)) {
      simd.binary(layout.op, xAt, yAt, outAt, layout.q, layout.width, layout.strideP, layout.strideQ, layout.splat ? 1 : 0, 0, layout.rows, 0, layout.width);
    }
    return out;
  };
}

export const addConfig: KernelConfig = { kernelName: tf.Add, backendName: 'wasm', kernelFunc: binaryKernel(tf.Add, 'add') };
export const subConfig: KernelConfig = { kernelName: tf.Sub, backendName: 'wasm', kernelFunc: binaryKernel(tf.Sub, 'sub') };
export const multiplyConfig: KernelConfig = { kernelName: tf.Multiply, backendName: 'wasm', kernelFunc: binaryKernel(tf.Multiply, 'mul') };
export const realDivConfig: KernelConfig = { kernelName: tf.RealDiv, backendName: 'wasm', kernelFunc: binaryKernel(tf.RealDiv, 'div') };
