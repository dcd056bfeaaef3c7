// The softmax gradient's loop (softmax-grad.ts), with no tfjs import: the heap's worker threads
// (../parallel/heap-worker.ts) run it on slices of rows.

/** dx for `rows` rows of length n of softmax outputs y and output gradients dy. */
export function softmaxGradRows(dy: Float32Array, y: Float32Array, rows: number, n: number, dx: Float32Array): void {
  for (let r = 0, base = 0; r < rows; r++, base += n) {
    let dot = 0;
    for (let j = base; j < base + n; j++) dot += dy[j]! * y[j]!;
    for (let j = base; j < base + n; j++) dx[j] = y[j]! * (dy[j]! - dot);
  }
}
