import { availableParallelism } from 'node:os';
import { integerFlag } from './flags.js';

// --threads: the wasm backend's threads. The command line defaults to every core; the library
// (selectBackend) defaults to one, so that programs and tests that do not ask start no workers.

export const DEFAULT_THREADS = availableParallelism();

export const threadsOption = {
  type: 'string',
  describe: `threads of the wasm backend (default: every core, ${DEFAULT_THREADS} here; at most 8); recorded in the report`,
} as const;

/** One thread count from --threads (absent: every core). */
export function threadsFlag(value: string | undefined, flag = '--threads'): number {
  if (value === undefined) return DEFAULT_THREADS;
  const n = integerFlag(flag, value);
  if (n < 1) throw new Error(`${flag}: expected a whole number >= 1, got ${n}`);
  return n;
}

/** Several thread counts, "1,2" (absent: every core), each measured on its own. */
export function threadCountsFlag(value: string | undefined, flag = '--threads'): number[] {
  if (value === undefined) return [DEFAULT_THREADS];
  const counts = value.split(',').map((s) => s.trim()).filter(Boolean).map((s) => threadsFlag(s, flag));
  if (counts.length === 0) throw new Error(`${flag}: expected thread counts such as 1,2`);
  return [...new Set(counts)];
}
