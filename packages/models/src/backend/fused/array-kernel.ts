// Kernels written once in JavaScript over float32 arrays, for the backends whose tensors can be
// read and written in place: cpu (JS typed arrays) and wasm (views of the module heap).
import type { KernelConfig, NamedAttrMap } from '@tensorflow/tfjs';
import { arrayKernelFunction, cpuMemory, wasmMemory, type ArrayMemory } from '../../spectral/kernels/array-memory.js';

/** The backends an ArrayKernel runs on, by tfjs name. */
export const ARRAY_KERNEL_BACKENDS: Readonly<Record<string, ArrayMemory>> = { cpu: cpuMemory, wasm: wasmMemory };

export interface ArrayKernel {
  kernelName: string;
  /** Input names, in the order compute receives them. */
  inputs: readonly string[];
  /** Output shapes from input shapes (and attributes); throws on inputs it cannot take. */
  outputShapes(inputShapes: number[][], attrs: NamedAttrMap): number[][];
  /** `scratch`: a work area of scratchFloats(...) floats, where that hook is given and the backend has one (wasm). */
  compute(inputs: Float32Array[], inputShapes: number[][], outputs: Float32Array[], attrs: NamedAttrMap, scratch?: Float32Array): void;
  scratchFloats?(inputShapes: number[][], attrs: NamedAttrMap): number;
  /** The backends to register it for, where it beats their own kernels; default all of ARRAY_KERNEL_BACKENDS. */
  backends?: readonly string[];
}

/** One KernelConfig per backend the kernel is meant for. */
export function arrayKernelConfigs(kernel: ArrayKernel): KernelConfig[] {
  const wanted = kernel.backends ?? Object.keys(ARRAY_KERNEL_BACKENDS);
  return Object.entries(ARRAY_KERNEL_BACKENDS).filter(([backendName]) => wanted.includes(backendName)).map(([backendName, memory]) => ({
    kernelName: kernel.kernelName,
    backendName,
    kernelFunc: arrayKernelFunction(kernel.kernelName, kernel.inputs, kernel, memory),
  }));
}
