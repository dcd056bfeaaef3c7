import { availableParallelism } from 'node:os';
import { integerFlag } from './flags.js';

// --threads: the wasm backend's threads. The command line defaults to every core, or to
// LRA_THREADS where set: the test setup sets 1, so that the many `lra` processes tests start side
// by side do not each start a pool on every core (the tests of threads pass --threads). The
// library (selectBackend) defaults to one, so programs that do not ask start no workers.

function defaultThreads(): number {
  const fromEnv = Number(process.env['LRA_THREADS']);
  return Number.isInteger(fromEnv) && fromEnv >= 1 ? fromEnv : availableParallelism();
}

export const DEFAULT_THREADS = defaultThreads();

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
