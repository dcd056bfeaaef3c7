// Exact softmax attention in float64, written from the formula, as the reference for tests.
// Masked keys are left out of the softmax entirely (not given a large negative score); a query
// whose keys are all masked gets a zero vector.

export interface AttentionReferenceInput {
  x: Float64Array; // [B, N, D]
  mask: Float64Array | null; // [B, N]
  wq: Float64Array; // [D, W]
  wk: Float64Array;
  wv: Float64Array;
  wo: Float64Array; // [W, D]
  batch: number;
  length: number;
  dModel: number;
  heads: number;
  width: number;
  rope: boolean;
}

function project(x: Float64Array, w: Float64Array, rows: number, inner: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let k = 0; k < inner; k++) s += x[r * inner + k]! * w[k * cols + c]!;
      out[r * cols + c] = s;
    }
  }
  return out;
}

/** Rotates pairs (2i, 2i+1) of each head's channels by angle m * 10000^(-2i/dh), in place. */
function rotate(t: Float64Array, batch: number, length: number, heads: number, headDim: number): void {
  for (let b = 0; b < batch; b++) {
    for (let m = 0; m < length; m++) {
      for (let h = 0; h < heads; h++) {
        const base = ((b * length + m) * heads + h) * headDim;
        for (let i = 0; i < headDim / 2; i++) {
          const angle = m * Math.pow(10000, (-2 * i) / headDim);
          const x0 = t[base + 2 * i]!;
          const x1 = t[base + 2 * i + 1]!;
          t[base + 2 * i] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
          t[base + 2 * i + 1] = x0 * Math.sin(angle) + x1 * Math.cos(angle);
        }
      }
    }
  }
}

export function referenceAttention(input: AttentionReferenceInput): Float64Array {
  const { batch, length, dModel, heads, width } = input;
  const headDim = width / heads;
  const rows = batch * length;
  const q = project(input.x, input.wq, rows, dModel, width);
  const k = project(input.x, input.wk, rows, dModel, width);
  const v = project(input.x, input.wv, rows, dModel, width);
  if (input.rope) {
    rotate(q, batch, length, heads, headDim);
    rotate(k, batch, length, heads, headDim);
  }
  const merged = new Float64Array(rows * width);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < length; i++) {
        const scores: number[] = [];
        const keys: number[] = [];
        for (let j = 0; j < length; j++) {
          if (input.mask && input.mask[b * length + j] === 0) continue;
          let s = 0;
          for (let c = 0; c < headDim; c++) {
            s += q[(b * length + i) * width + h * headDim + c]! * k[(b * length + j) * width + h * headDim + c]!;
          }
          scores.push(s / Math.sqrt(headDim));
          keys.push(j);
        }
        if (keys.length === 0) continue;
        const max = Math.max(...scores);
        const weights = scores.map((s) => Math.exp(s - max));
        const total = weights.reduce((a, c) => a + c, 0);
        for (let c = 0; c < headDim; c++) {
          let s = 0;
          keys.forEach((j, n) => {
            s += (weights[n]! / total) * v[(b * length + j) * width + h * headDim + c]!;
          });
          merged[(b * length + i) * width + h * headDim + c] = s;
        }
      }
    }
  }
  return project(merged, input.wo, rows, width, dModel);
}
