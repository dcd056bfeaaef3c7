// Layer norm's forward loop (layer-norm.ts), with no tfjs import: the heap's worker threads
// (../parallel/heap-worker.ts) run it on slices of rows.

/** y = (x - mean) rstd scale + bias per row of width d; writes each row's mean and rstd. */
export function layerNormRows(
  x: Float32Array, scale: Float32Array, bias: Float32Array, d: number, eps: number,
  y: Float32Array, mean: Float32Array, rstd: Float32Array,
): void {
  const rows = mean.length;
  for (let r = 0, base = 0; r < rows; r++, base += d) {
    let total = 0;
    for (let j = 0; j < d; j++) total += x[base + j]!;
    const mu = total / d;
    let squares = 0;
    for (let j = 0; j < d; j++) {
      const c = x[base + j]! - mu;
      squares += c * c;
    }
    const inv = 1 / Math.sqrt(squares / d + eps);
    mean[r] = mu;
    rstd[r] = inv;
    for (let j = 0; j < d; j++) y[base + j] = (x[base + j]! - mu) * inv * scale[j]! + bias[j]!;
  }
}
