// Work arrays of the transforms: plain JavaScript arrays of doubles, not Float64Array.
//
// Measured in Node 20: once any ArrayBuffer in the process has been detached (the wasm backend
// detaches its heap's buffer every time the heap grows), V8 checks for detachment on every typed
// array access in optimised code, and the FFT loops slow down by 25-45%. Arrays with packed
// double elements carry no such check, and were faster even before (0.83 vs 0.95 ns per
// n log2 n at n = 1024). Typed arrays remain only at the boundary, the tensors' float32 data.

/** A packed array of unboxed doubles (V8's PACKED_DOUBLE_ELEMENTS). */
export type Doubles = number[];

/** `length` zeros in a packed double array. */
export function doubles(length: number): Doubles {
  const a: Doubles = [];
  // A non-integer first value makes the elements unboxed doubles; pushing keeps them packed.
  for (let i = 0; i < length; i++) a.push(0.5);
  return a.fill(0);
}

/** Packed double copy of a typed array or list. */
export function doublesFrom(values: ArrayLike<number>): Doubles {
  const a = doubles(values.length);
  for (let i = 0; i < values.length; i++) a[i] = values[i]!;
  return a;
}

export class WorkBuffers {
  private arrays: Doubles[];

  constructor(count: number) {
    this.arrays = Array.from({ length: count }, () => doubles(0));
  }

  /** `count` arrays of at least `length` elements each (contents unspecified). */
  get(length: number): Doubles[] {
    if (this.arrays[0]!.length < length) {
      this.arrays = this.arrays.map(() => doubles(length));
    }
    return this.arrays;
  }
}
