// Reusable float64 work arrays, grown on demand, so batched transforms allocate once per size.

export class WorkBuffers {
  private arrays: Float64Array[];

  constructor(count: number) {
    this.arrays = Array.from({ length: count }, () => new Float64Array(0));
  }

  /** `count` arrays of at least `length` elements each (contents unspecified). */
  get(length: number): Float64Array[] {
    if (this.arrays[0]!.length < length) {
      this.arrays = this.arrays.map(() => new Float64Array(length));
    }
    return this.arrays;
  }
}
