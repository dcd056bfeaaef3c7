// The project's WebAssembly SIMD kernels (the .wat files here, assembled into *-wasm.ts) run on
// the wasm backend's own heap: each thread instantiates a kernel module once, importing that
// heap's memory, and calls it with byte offsets of tensors. No tfjs import: the heap pool's
// worker threads load this file too.
import { PLAIN_MEMORY_WASM, SHARED_MEMORY_WASM } from './gelu-wasm.js';

// The compiler settings carry no WebAssembly types (no DOM library): what is used is declared here.
interface WasmMemoryObject { readonly buffer: ArrayBufferLike }
type WasmModule = object;
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: object };
  Memory: abstract new (...args: never[]) => WasmMemoryObject;
};

/** gelu.wat's exports: byte offsets into the heap and element counts. */
export interface GeluSimd {
  gelu(x: number, y: number, n: number): void;
  geluGrad(dy: number, x: number, dx: number, n: number): void;
}

const compiled = new Map<string, WasmModule>();
const instances = new WeakMap<object, GeluSimd | null>();
let failure: string | undefined;

function compile(base64: string): WasmModule {
  let module = compiled.get(base64);
  if (module === undefined) {
    module = new WebAssembly.Module(Buffer.from(base64, 'base64'));
    compiled.set(base64, module);
  }
  return module;
}

/** Why the SIMD kernels could not be instantiated, if they could not (else undefined). */
export function simdFailure(): string | undefined {
  return failure;
}

/**
 * gelu.wat instantiated over `memory` (a WebAssembly.Memory, shared or not), once per memory and
 * thread; null where this engine cannot run it (no SIMD), and the JavaScript kernels are used.
 */
export function geluSimdFor(memory: object): GeluSimd | null {
  const known = instances.get(memory);
  if (known !== undefined) return known;
  let kernels: GeluSimd | null = null;
  try {
    if (!(memory instanceof WebAssembly.Memory)) throw new Error('not a WebAssembly.Memory');
    const shared = memory.buffer instanceof SharedArrayBuffer;
    const instance = new WebAssembly.Instance(compile(shared ? SHARED_MEMORY_WASM : PLAIN_MEMORY_WASM), { env: { memory } });
    kernels = instance.exports as unknown as GeluSimd;
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  instances.set(memory, kernels);
  return kernels;
}
