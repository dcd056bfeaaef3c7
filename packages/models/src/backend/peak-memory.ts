import * as tf from '@tensorflow/tfjs';

/**
 * Measures the high-water mark of tensor memory over a span of work.
 *
 * tf.memory().numBytes counts every tensor's bytes, so views that share one buffer (reshapes,
 * the clones the gradient tape saves) count several times over: several times the truth for a
 * training step. On wasm the meter instead follows the backend's own heap allocator (malloc and
 * free of tensor buffers), which is exact. Other backends fall back to numBytes sampled at the
 * caller's probe points, an upper bound.
 */
export interface PeakMeter {
  /** Records the current tensor memory (the fallback's sample point; a no-op on wasm). */
  probe(): void;
  /** Stops metering; returns the peak in bytes over the span. */
  stop(): number;
}

interface WasmModule {
  _malloc(size: number): number;
  _free(ptr: number): void;
}

export function startPeakMeter(): PeakMeter {
  const backend = tf.backend() as unknown as { wasm?: WasmModule };
  const wasm = tf.getBackend() === 'wasm' ? backend.wasm : undefined;
  if (!wasm) {
    let peak = tf.memory().numBytes;
    return {
      probe: () => {
        peak = Math.max(peak, tf.memory().numBytes);
      },
      stop: () => Math.max(peak, tf.memory().numBytes),
    };
  }
  // emscripten exports _malloc and _free as lazy stubs that, on their first call, replace
  // themselves on the module with the raw export: a wrapper around a stub would be silently
  // swapped out after one allocation. One call settles them before they are wrapped.
  wasm._free(wasm._malloc(8));
  const malloc = wasm._malloc;
  const free = wasm._free;
  const sizes = new Map<number, number>();
  // Buffers allocated before the span are already live: count them as the base.
  let live = tf.memory().numBytes;
  let peak = live;
  wasm._malloc = (size: number) => {
    const ptr = malloc.call(wasm, size);
    sizes.set(ptr >>> 0, size);
    live += size;
    if (live > peak) peak = live;
    return ptr;
  };
  wasm._free = (ptr: number) => {
    const size = sizes.get(ptr >>> 0);
    if (size !== undefined) {
      live -= size;
      sizes.delete(ptr >>> 0);
    }
    free.call(wasm, ptr);
  };
  return {
    probe: () => {},
    stop: () => {
      wasm._malloc = malloc;
      wasm._free = free;
      return peak;
    },
  };
}
