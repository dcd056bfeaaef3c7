import { totalmem } from 'node:os';

/** How many bytes of tensors a training step may hold on a backend, and where the figure comes from. */
export interface MemoryLimit {
  bytes: number;
  source: string;
}

const GiB = 2 ** 30;
/** wasm32 addresses 4 GiB; the allocator's own structures and fragmentation need some of it. */
const WASM_HEAP_BYTES = 4 * GiB;
const WASM_USABLE = 0.85;
/** Elsewhere tensors live in the process's memory (or a GPU's, which tfjs does not report). */
const HOST_USABLE = 0.6;

export function memoryLimit(backend: string, override?: number): MemoryLimit {
  if (override !== undefined) return { bytes: override, source: 'train.memoryLimitMiB' };
  if (backend === 'wasm') return { bytes: Math.floor(WASM_HEAP_BYTES * WASM_USABLE), source: `wasm heap (4 GiB, ${Math.round(WASM_USABLE * 100)}% usable)` };
  return { bytes: Math.floor(totalmem() * HOST_USABLE), source: `${Math.round(HOST_USABLE * 100)}% of this machine's ${formatBytes(totalmem())}` };
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(2)} GiB`;
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
