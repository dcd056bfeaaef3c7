// A heap pool job's named numbers in a fixed order (the job array carries numbers only): written
// by the main thread (heap-pool.ts), read back by whichever thread runs the slice (tasks.ts).
// No tfjs import: the worker threads load this file.

/** A job's numbers in `fields` order. */
export function encodeJob<T extends object>(job: T, fields: readonly (keyof T)[]): number[] {
  return fields.map((field) => job[field] as number);
}

/** A job from its numbers in `fields` order. */
export function decodeJob<T>(values: ArrayLike<number>, fields: readonly string[]): T {
  return Object.fromEntries(fields.map((field, i) => [field, values[i]])) as T;
}
