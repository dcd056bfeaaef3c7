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

/**
 * Layer norm's gradient over `rows` rows of width d (layer-norm.ts): with xhat = (x - mean) rstd
 * and g = dy scale, writes dx = rstd (g - mean(g) - xhat mean(g xhat)) per row, and adds each
 * row's dy xhat and dy, in row order, to the column sums `scaleSums` and `biasSums` (the scale
 * and bias gradients). The heap's threads run it on slices of rows, each with sums of its own.
 */
export function layerNormGradRowSums(
  dy: Float32Array, x: Float32Array, scale: Float32Array, mean: Float32Array, rstd: Float32Array, d: number,
  dx: Float32Array, scaleSums: Float64Array, biasSums: Float64Array,
): void {
  const rows = mean.length;
  for (let r = 0, base = 0; r < rows; r++, base += d) {
    const mu = mean[r]!;
    const inv = rstd[r]!;
    let gMean = 0;
    let gxMean = 0;
    for (let j = 0; j < d; j++) {
      const xhat = (x[base + j]! - mu) * inv;
      const dyj = dy[base + j]!;
      const g = dyj * scale[j]!;
      gMean += g;
      gxMean += g * xhat;
      scaleSums[j]! += dyj * xhat;
      biasSums[j]! += dyj;
    }
    gMean /= d;
    gxMean /= d;
    for (let j = 0; j < d; j++) {
      const xhat = (x[base + j]! - mu) * inv;
      dx[base + j] = inv * (dy[base + j]! * scale[j]! - gMean - xhat * gxMean);
    }
  }
}
