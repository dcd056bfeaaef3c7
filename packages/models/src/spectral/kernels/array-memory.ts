// Direct access to a backend's float32 buffers, for kernels written in JavaScript.
// cpu keeps each tensor in a JS typed array; wasm keeps it on the module heap, where outputs must
// be allocated before any view is taken (a heap growth replaces the buffer under older views).
import type { TensorInfo } from '@tensorflow/tfjs';

export interface ArrayMemory {
  /**
   * Allocates float32 outputs of the given shapes, passes float32 views of the inputs and the
   * outputs to `fill`, and returns the outputs.
   */
  run(
    backend: unknown,
    inputs: TensorInfo[],
    outputShapes: number[][],
    fill: (inputs: Float32Array[], outputs: Float32Array[]) => void,
  ): TensorInfo[];
}

interface CpuBackendLike {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): unknown;
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function asFloat32(values: unknown, what: string): Float32Array {
  if (!(values instanceof Float32Array)) {
    throw new Error(`spectral kernels need float32 ${what}, got ${Object.prototype.toString.call(values)}`);
  }
  return values;
}

/**
 * cpu's Cast from int32 to float32 keeps the Int32Array under a float32 tensor, so integer
 * storage is converted here (a copy only in that case).
 */
function cpuValues(values: unknown): Float32Array {
  if (values instanceof Int32Array || values instanceof Uint8Array) return Float32Array.from(values);
  return asFloat32(values, 'inputs');
}

export const cpuMemory: ArrayMemory = {
  run(backend, inputs, outputShapes, fill) {
    const cpu = backend as CpuBackendLike;
    const inputArrays = inputs.map((info) => cpuValues(cpu.data.get(info.dataId).values));
    const outputArrays = outputShapes.map((shape) => new Float32Array(sizeOf(shape)));
    fill(inputArrays, outputArrays);
    return outputShapes.map((shape, i) => cpu.makeTensorInfo(shape, 'float32', outputArrays[i]!));
  },
};

export const wasmMemory: ArrayMemory = {
  run(backend, inputs, outputShapes, fill) {
    const wasm = backend as WasmBackendLike;
    const outputs = outputShapes.map((shape) => wasm.makeOutput(shape, 'float32'));
    const inputArrays = inputs.map((info) => asFloat32(wasm.typedArrayFromHeap(info), 'inputs'));
    const outputArrays = outputs.map((info) => asFloat32(wasm.typedArrayFromHeap(info), 'outputs'));
    fill(inputArrays, outputArrays);
    return outputs;
  },
};
