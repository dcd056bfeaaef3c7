import { formatBytes } from './memory-limit.js';

/**
 * What backends say when a tensor does not fit: wasm's heap ("memory access out of bounds",
 * "Invalid typed array length", a failed grow, emscripten's abort on a failed malloc), V8's ("Array buffer allocation failed") and
 * TensorFlow's ("OOM when allocating").
 */
const OUT_OF_MEMORY = /memory access out of bounds|Aborted\(|Invalid typed array length|Cannot enlarge memory|Array buffer allocation failed|out of memory|OOM when allocating|RangeError: .*Array buffer/i;

export function isOutOfMemory(error: unknown): boolean {
  return error instanceof Error && OUT_OF_MEMORY.test(`${error.name}: ${error.message}`);
}

/** A step that does not fit, said with what it needs, what there is and what to change. */
export class StepMemoryError extends Error {
  constructor(
    readonly needBytes: number,
    readonly limitBytes: number,
    readonly limitSource: string,
    readonly advice: string,
    readonly backendError?: unknown,
  ) {
    const need = Number.isFinite(needBytes) ? `about ${formatBytes(needBytes)}` : 'more than there is even for one example';
    super(
      `a training step does not fit: it needs ${need} and the limit is ${formatBytes(limitBytes)} (${limitSource}); ${advice}` +
        (backendError instanceof Error ? ` [backend said: ${backendError.message.split('\n')[0]}]` : ''),
    );
    this.name = 'StepMemoryError';
  }
}
