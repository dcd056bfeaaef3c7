// Direct access to a backend's float32 buffers, for kernels written in JavaScript.
// cpu keeps each tensor in a JS typed array; wasm keeps it on the module heap, where outputs must
// be allocated before any view is taken (a heap growth replaces the buffer under older views).
import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

export interface ArrayMemory {
  /**
   * Allocates float32 outputs of the given shapes, passes float32 views of the inputs and the
   * outputs to `fill`, and returns the outputs. `scratchFloats` > 0 (wasm): a work area of that
   * many floats on the heap, allocated with the outputs (before any view) and freed after `fill`.
   */
  run(
    backend: unknown,
    inputs: TensorInfo[],
    outputShapes: number[][],
    fill: (inputs: Float32Array[], outputs: Float32Array[], scratch?: Float32Array) => void,
    scratchFloats?: number,
  ): TensorInfo[];
}

interface CpuBackendLike {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): unknown;
  disposeData(dataId: object): boolean;
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
  run(backend, inputs, outputShapes, fill, scratchFloats = 0) {
    const wasm = backend as WasmBackendLike;
    const outputs = outputShapes.map((shape) => wasm.makeOutput(shape, 'float32'));
    const scratch = scratchFloats > 0 ? wasm.makeOutput([scratchFloats], 'float32') : undefined;
    try {
      const inputArrays = inputs.map((info) => asFloat32(wasm.typedArrayFromHeap(info), 'inputs'));
      const outputArrays = outputs.map((info) => asFloat32(wasm.typedArrayFromHeap(info), 'outputs'));
      fill(inputArrays, outputArrays, scratch === undefined ? undefined : asFloat32(wasm.typedArrayFromHeap(scratch), 'scratch'));
    } finally {
      if (scratch !== undefined) wasm.disposeData(scratch.dataId);
    }
    return outputs;
  },
};

/** What a kernel over float32 arrays computes: its output shapes, then its outputs in place. */
export interface ArrayComputation {
  outputShapes(inputShapes: number[][], attrs: NamedAttrMap): number[][];
  compute(inputs: Float32Array[], inputShapes: number[][], outputs: Float32Array[], attrs: NamedAttrMap, scratch?: Float32Array): void;
  /** Floats of heap work area the computation wants on wasm (its SIMD kernels); default none. */
  scratchFloats?(inputShapes: number[][], attrs: NamedAttrMap): number;
}

/**
 * A tfjs kernel function running `computation` on the arrays behind its inputs (taken by name,
 * in order, float32 only) through the backend's `memory`.
 */
export function arrayKernelFunction(kernelName: string, inputNames: readonly string[], computation: ArrayComputation, memory: ArrayMemory): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const infos = inputNames.map((name) => {
      const info = inputs[name];
      if (info === undefined) throw new Error(`${kernelName}: missing input '${name}'`);
      if (info.dtype !== 'float32') throw new Error(`${kernelName}: input '${name}' must be float32, got ${info.dtype}`);
      return info;
    });
    const shapes = infos.map((info) => info.shape);
    const attrMap = attrs ?? {};
    const outputShapes = computation.outputShapes(shapes, attrMap);
    const scratchFloats = computation.scratchFloats?.(shapes, attrMap) ?? 0;
    const outputs: TensorInfo[] = memory.run(backend, infos, outputShapes, (ins, outs, scratch) => computation.compute(ins, shapes, outs, attrMap, scratch), scratchFloats);
    return outputs.length === 1 ? outputs[0]! : outputs;
  };
}
