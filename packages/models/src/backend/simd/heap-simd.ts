// Which memory a kernel's arrays lie on, for the SIMD modules (simd-kernels.ts) that import it:
// the wasm backend's heap, when the kernel runs there, else none (cpu arrays stay in JavaScript).
import * as tf from '@tensorflow/tfjs';
import { asWasmBackend, heapMemory } from '../wasm/heap.js';

/** The wasm backend's heap memory where every array is a view of it; undefined otherwise. */
export function heapMemoryOf(arrays: readonly Float32Array[]): object | undefined {
  // A kernel runs on the engine's current backend.
  if (tf.engine().backendName !== 'wasm') return undefined;
  const memory = heapMemory(asWasmBackend(tf.engine().backend)) as { buffer?: ArrayBufferLike } | undefined;
  if (memory?.buffer === undefined || !arrays.every((a) => a.buffer === memory.buffer)) return undefined;
  return memory;
}
