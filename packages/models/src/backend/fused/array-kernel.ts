// Kernels written once in JavaScript over float32 arrays, for the backends whose tensors can be
// read and written in place: cpu (JS typed arrays) and wasm (views of the module heap).
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { cpuMemory, wasmMemory, type ArrayMemory } from '../../spectral/kernels/array-memory.js';

/** The backends an ArrayKernel runs on, by tfjs name. */
export const ARRAY_KERNEL_BACKENDS: Readonly<Record<string, ArrayMemory>> = { cpu: cpuMemory, wasm: wasmMemory };

export interface ArrayKernel {
  kernelName: string;
  /** Input names, in the order compute receives them. */
  inputs: readonly string[];
  /** Output shapes from input shapes (and attributes); throws on inputs it cannot take. */
  outputShapes(inputShapes: number[][], attrs: NamedAttrMap): number[][];
  compute(inputs: Float32Array[], inputShapes: number[][], outputs: Float32Array[], attrs: NamedAttrMap): void;
  /** The backends to register it for, where it beats their own kernels; default all of ARRAY_KERNEL_BACKENDS. */
  backends?: readonly string[];
}

function kernelFunc(kernel: ArrayKernel, memory: ArrayMemory): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const infos = kernel.inputs.map((name) => {
      const info = inputs[name];
      if (info === undefined) throw new Error(`${kernel.kernelName}: missing input '${name}'`);
      if (info.dtype !== 'float32') throw new Error(`${kernel.kernelName}: input '${name}' must be float32, got ${info.dtype}`);
      return info;
    });
    const shapes = infos.map((info) => info.shape);
    const attrMap = attrs ?? {};
    const outputShapes = kernel.outputShapes(shapes, attrMap);
    const outputs: TensorInfo[] = memory.run(backend, infos, outputShapes, (ins, outs) =>
      kernel.compute(ins, shapes, outs, attrMap),
    );
    return outputs.length === 1 ? outputs[0]! : outputs;
  };
}

/** One KernelConfig per backend the kernel is meant for. */
export function arrayKernelConfigs(kernel: ArrayKernel): KernelConfig[] {
  const wanted = kernel.backends ?? Object.keys(ARRAY_KERNEL_BACKENDS);
  return Object.entries(ARRAY_KERNEL_BACKENDS).filter(([backendName]) => wanted.includes(backendName)).map(([backendName, memory]) => ({
    kernelName: kernel.kernelName,
    backendName,
    kernelFunc: kernelFunc(kernel, memory),
  }));
}
