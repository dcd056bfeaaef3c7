// Shared by the SIMD module tests: WebAssembly memories (the project's compiler settings carry no
// WebAssembly types), float32 arrays laid out on one, and the error measures.

export interface Memory { readonly buffer: ArrayBufferLike }

const Wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared?: boolean }) => Memory } }).WebAssembly;

/** A memory of `pages` 64 KiB pages (growable to 4 GiB, as the wasm heap), shared or not. */
export function newMemory(pages: number, shared = false): Memory {
  return new Wasm.Memory({ initial: pages, maximum: 65536, shared });
}

/** Float32 arrays of the given lengths laid end to end on one memory, 16 bytes apart. */
export function heapOf(shared: boolean, floats: number[]): { memory: Memory; arrays: Float32Array[] } {
  const memory = newMemory(1 + Math.ceil((4 * floats.reduce((a, b) => a + b + 8, 0)) / 65536), shared);
  let next = 16;
  const arrays = floats.map((n) => {
    const a = new Float32Array(memory.buffer, next, n);
    next += 4 * n + 16;
    return a;
  });
  return { memory, arrays };
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
