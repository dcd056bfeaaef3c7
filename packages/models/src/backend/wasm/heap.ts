import type { DataType, TensorInfo } from '@tensorflow/tfjs';

// tfjs-backend-wasm keeps every tensor in one WebAssembly heap and names it to its C++ kernels
// by an integer id registered at a byte offset. The kernels of this folder work on that heap
// directly. None of this is in the package's typed API, which is one reason tfjs is pinned to an
// exact version: these are the internals of @tensorflow/tfjs-backend-wasm 4.22.0.

interface WasmModule {
  HEAPU8: Uint8Array;
  /** Set by the threaded build's loader (../wasm-threads/threaded-module.ts). */
  wasmMemory?: { readonly buffer: ArrayBufferLike };
  /** The module's exports (emscripten's Module.asm): the single-threaded build's memory is there. */
  asm?: { memory?: unknown };
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  cwrap(name: string, returnType: null, argTypes: string[]): (...args: unknown[]) => void;
  tfjs: {
    registerTensor(id: number, size: number, byteOffset: number): void;
    disposeData(id: number): void;
  };
}

interface WasmTensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: DataType;
}

export interface WasmBackend {
  wasm: WasmModule;
  dataIdMap: { get(dataId: object): WasmTensorData | undefined };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
}

/** The backend handed to a kernel registered for 'wasm', seen through its internals. */
export function asWasmBackend(backend: unknown): WasmBackend {
  const candidate = backend as Partial<WasmBackend> | null;
  if (candidate?.wasm?.HEAPU8 === undefined || candidate.dataIdMap === undefined) {
    throw new Error('expected the tfjs wasm backend (@tensorflow/tfjs-backend-wasm 4.22.0)');
  }
  return candidate as WasmBackend;
}

/** The heap's WebAssembly.Memory (shared in the threaded build), for modules that import it. */
export function heapMemory(backend: WasmBackend): object | undefined {
  const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
  return typeof memory === 'object' && memory !== null ? memory : undefined;
}

/** Byte offset of a tensor's data in the heap. */
export function byteOffsetOf(backend: WasmBackend, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) throw new Error('tensor is not held by the wasm backend');
  return data.memoryOffset;
}

/** The heap's numeric id for a tensor, as its C++ kernels know it. */
export function heapIdOf(backend: WasmBackend, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) throw new Error('tensor is not held by the wasm backend');
  return data.id;
}

// Views over the whole heap. Any allocation (ours, or one inside a C++ kernel) may grow the heap
// and detach earlier views, so take a view after the last allocation and never keep it across
// a call into C++.
export function heapFloat32(backend: WasmBackend): Float32Array {
  return new Float32Array(heapBuffer(backend));
}

export function heapInt32(backend: WasmBackend): Int32Array {
  return new Int32Array(heapBuffer(backend));
}

/**
 * The heap's current buffer. In the threaded build the heap is shared and may be grown by any
 * thread; emscripten refreshes HEAPU8 only on the thread that grew it (or at its next own
 * access), so the memory's own buffer is the one to trust.
 */
export function heapBuffer(backend: WasmBackend): ArrayBufferLike {
  return backend.wasm.wasmMemory?.buffer ?? backend.wasm.HEAPU8.buffer;
}

/** Allocates scratch space for `floats` float32 values; returns its byte offset. */
export function allocateFloats(backend: WasmBackend, floats: number): number {
  // `>>> 0`: malloc returns a signed 32-bit pointer, negative above 2 GiB.
  return backend.wasm._malloc(Math.max(1, floats) * 4) >>> 0;
}

export function release(backend: WasmBackend, byteOffset: number): void {
  backend.wasm._free(byteOffset);
}

/**
 * Registers `size` elements at `byteOffset` under a fresh id, so a C++ kernel can read or write a
 * region inside another buffer without a copy. The id shares the backend's counter, so it can
 * never collide with a tensor's. Unregistering does not free the memory (its owner does), and
 * also drops whatever the C++ side cached for the id (XNNPACK operators keyed on weights).
 */
export function registerRegion(backend: WasmBackend, byteOffset: number, size: number): number {
  const id = backend.dataIdNextNumber++;
  backend.wasm.tfjs.registerTensor(id, size, byteOffset);
  return id;
}

export function unregisterRegion(backend: WasmBackend, id: number): void {
  backend.wasm.tfjs.disposeData(id);
}

/** Index of a tensor's first element in a float32 or int32 view of the heap. */
export function elementIndexOf(backend: WasmBackend, info: TensorInfo): number {
  return byteOffsetOf(backend, info) / 4;
}
