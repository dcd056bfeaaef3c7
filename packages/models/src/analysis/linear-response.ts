// The effective linear response of a mixer around a real input: columns of its Jacobian,
// J[i, d, c] = d y[i, d] / d x[j, c] for an impulse at position j, for every output position i.
// Defined for every mixer, linear or not, so spectral and attention mixers meet on one axis.
//
// How the column is computed. A column is a forward-mode product (one Jacobian-vector product
// per input channel c). tfjs has reverse mode only; one reverse pass per output position would
// cost O(N) passes. Instead each JVP is taken exactly with the double-backward identity:
// g(u) = J^T u is linear in u, so J v = d/du <J^T u, v>, a second reverse pass through the
// first (tf.grad of tf.grad) that only differentiates with respect to u. The D directions of a
// column run as one batch of D copies of the example (chunked for long sequences), so a column
// costs about three forward passes of that batch. Where an op of the mixer has no second-order
// gradient in tfjs (Hyena's depthwise convolution, the ELU of linear attention) the column falls
// back to central differences in float32 with a step of 1e-2 times the input's RMS: accurate to
// about 1e-4 relative on smooth mixers, noisier at kinks (ReLU, max); the result says which ran.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import type { Mixer } from '../mixers/types.js';
import { rfft } from '../spectral/index.js';
import { cyclesPerToken } from './frequency.js';

export type ResponseMethod = 'exact' | 'finite-difference';

export interface ColumnRequest {
  /** Row of the batch. */
  example: number;
  /** Input position j of the impulse. */
  position: number;
}

export interface JacobianColumns {
  method: ResponseMethod;
  /** Why the exact method did not run, when it did not. */
  fallback: string | null;
  inputLength: number;
  outputLength: number;
  inChannels: number;
  outChannels: number;
  requests: ColumnRequest[];
  /** One per request, [outputLength, outChannels, inChannels]. */
  columns: Float32Array[];
}

export interface JacobianOptions {
  /** A fresh context per call, so mixers that draw at inference draw the same each time. */
  context: () => ForwardContext;
  /** 'auto': exact, falling back to finite differences where tfjs cannot differentiate twice. */
  method?: 'auto' | ResponseMethod;
  /** Directions (input channels) per batched pass; default from the length (~4M scores a pass). */
  directionsPerPass?: number;
  /** Finite-difference step relative to the example's RMS (default 1e-2). */
  relativeStep?: number;
}

const DEFAULT_RELATIVE_STEP = 1e-2;

interface EngineTapeState {
  gradientDepth: number;
  activeTape: Array<{ saved?: tf.Tensor[] }> | null;
}

/**
 * A gradient that throws mid-backprop leaves the tensors its tape saved for the backward pass
 * alive (tfjs frees them only on success). Frees them as a finished gradient would have.
 */
function releaseFailedTape(): void {
  const state = (tf.engine() as unknown as { state: EngineTapeState }).state;
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}

function defaultDirections(length: number, channels: number): number {
  return Math.max(1, Math.min(channels, Math.floor(4_000_000 / (length * length))));
}

/** One chunk of directions: [C, Nout, Dout] with row r = J[:, :, channels[r]] of the column. */
function columnChunk(
  mixer: Mixer,
  x: tf.Tensor3D,
  mask: tf.Tensor2D | null,
  request: ColumnRequest,
  channels: number[],
  method: ResponseMethod,
  options: JacobianOptions,
  outShape: [number, number],
): tf.Tensor3D {
  return tf.tidy(() => {
    const [, length, width] = x.shape;
    const count = channels.length;
    const example = tf.slice(x, [request.example, 0, 0], [1, length, width]);
    const basis = new Float32Array(count * length * width);
    channels.forEach((c, r) => {
      basis[(r * length + request.position) * width + c] = 1;
    });
    const directions = tf.tensor3d(basis, [count, length, width]);
    const rows = (n: number): tf.Tensor2D | null =>
      mask ? (tf.tile(tf.slice(mask, [request.example, 0], [1, length]), [n, 1]) as tf.Tensor2D) : null;
    if (method === 'exact') {
      const copies = tf.tile(example, [count, 1, 1]) as tf.Tensor3D;
      const copyMask = rows(count);
      const pullBack = (u: tf.Tensor): tf.Tensor =>
        tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(mixer.apply(xx as tf.Tensor3D, copyMask, options.context()), u)))(copies);
      const push = tf.grad((u: tf.Tensor) => tf.sum(tf.mul(pullBack(u), directions)));
      return push(tf.zeros([count, ...outShape])) as tf.Tensor3D;
    }
    const rms = Math.sqrt(tf.mean(tf.square(example)).dataSync()[0]!);
    const step = (options.relativeStep ?? DEFAULT_RELATIVE_STEP) * Math.max(rms, 1e-6);
    const shifted = tf.mul(directions, step);
    const both = tf.concat([tf.add(example, shifted), tf.sub(example, shifted)], 0) as tf.Tensor3D;
    const y = mixer.apply(both, rows(2 * count), options.context());
    const [up, down] = tf.split(y, 2, 0);
    return tf.div(tf.sub(up!, down!), 2 * step) as tf.Tensor3D;
  });
}

/** Jacobian columns of `mixer` at input x [B, N, D] (with its mask) for impulses at the requested positions. */
export function jacobianColumns(
  mixer: Mixer,
  x: tf.Tensor3D,
  mask: tf.Tensor2D | null,
  requests: readonly ColumnRequest[],
  options: JacobianOptions,
): JacobianColumns {
  const [batch, length, width] = x.shape;
  for (const r of requests) {
    if (!(Number.isInteger(r.example) && r.example >= 0 && r.example < batch && Number.isInteger(r.position) && r.position >= 0 && r.position < length)) {
      throw new Error(`jacobianColumns: column (example ${r.example}, position ${r.position}) is outside the input [${batch}, ${length}]`);
    }
  }
  const outShape = tf.tidy(() => {
    const probe = mixer.apply(tf.slice(x, [0, 0, 0], [1, length, width]), mask ? tf.slice(mask, [0, 0], [1, length]) : null, options.context());
    return [probe.shape[1], probe.shape[2]] as [number, number];
  });
  const perPass = options.directionsPerPass ?? defaultDirections(length, width);
  const chunks: number[][] = [];
  for (let c = 0; c < width; c += perPass) chunks.push(Array.from({ length: Math.min(perPass, width - c) }, (_, k) => c + k));

  const compute = (method: ResponseMethod): Float32Array[] =>
    requests.map((request) => {
      const parts = chunks.map((channels) => columnChunk(mixer, x, mask, request, channels, method, options, outShape));
      // [Din, Nout, Dout] -> [Nout, Dout, Din].
      const column = tf.tidy(() => tf.transpose(tf.concat(parts, 0), [1, 2, 0]));
      tf.dispose(parts);
      const values = column.dataSync() as Float32Array;
      column.dispose();
      return values;
    });

  const wanted = options.method ?? 'auto';
  let method: ResponseMethod = wanted === 'finite-difference' ? 'finite-difference' : 'exact';
  let fallback: string | null = null;
  let columns: Float32Array[];
  try {
    columns = compute(method);
  } catch (error) {
    releaseFailedTape();
    if (wanted !== 'auto') throw error;
    method = 'finite-difference';
    fallback = (error as Error).message;
    columns = compute(method);
  }
  return {
    method,
    fallback,
    inputLength: length,
    outputLength: outShape[0],
    inChannels: width,
    outChannels: outShape[1],
    requests: [...requests],
    columns,
  };
}

export interface LinearResponseSummary {
  method: ResponseMethod;
  fallback: string | null;
  inputLength: number;
  outputLength: number;
  columns: ColumnRequest[];
  /**
   * Response size by offset i - j, from -(N - 1) to N - 1 (output and input lengths equal):
   * ||J[i]||_F / sqrt(Din) (1 for the identity) and the mean same-channel response tr(J[i]) / Din,
   * averaged over the columns whose output position i is a real token; null where the mixer
   * changes the length (then see byOutputPosition).
   */
  byOffset: { firstOffset: number; magnitude: number[]; trace: number[]; count: number[] } | null;
  /** ||J[i]||_F / sqrt(Din) per output position, averaged over the columns. */
  byOutputPosition: number[];
  /**
   * Gain per frequency: sqrt(mean over columns of sum_{d,c} |DFT_i J[i, d, c]|^2 / Din), the DFT
   * over the real output positions (zero elsewhere), on the grid k / Nout. The identity and any
   * all-pass map give 1 everywhere; an averaging map passes frequency 0 and damps the rest.
   */
  frequency: { cyclesPerToken: number[]; gain: number[] };
}

/**
 * Summarises Jacobian columns. outputMask[b] (length Nout, 1 = real) marks which output
 * positions of example b count; null counts every position.
 */
export function summariseColumns(result: JacobianColumns, outputMask: ((example: number) => ArrayLike<number>) | null): LinearResponseSummary {
  const { outputLength: nOut, inputLength: nIn, outChannels: dOut, inChannels: dIn } = result;
  const sameLength = nOut === nIn;
  const firstOffset = -(nIn - 1);
  const span = nOut + nIn - 1;
  const magnitude = new Float64Array(span);
  const trace = new Float64Array(span);
  const count = new Float64Array(span);
  const byPosition = new Float64Array(nOut);
  const bins = Math.floor(nOut / 2) + 1;
  const power = new Float64Array(bins);
  result.columns.forEach((column, index) => {
    const { example, position } = result.requests[index]!;
    const real = outputMask ? outputMask(example) : null;
    const weights = new Float32Array(nOut);
    for (let i = 0; i < nOut; i++) {
      const keep = real ? real[i]! : 1;
      weights[i] = keep;
      let frob = 0;
      let diag = 0;
      for (let d = 0; d < dOut; d++) {
        for (let c = 0; c < dIn; c++) {
          const v = column[(i * dOut + d) * dIn + c]!;
          frob += v * v;
          if (c === d) diag += v;
        }
      }
      const size = Math.sqrt(frob / dIn);
      byPosition[i] += size / result.columns.length;
      if (sameLength && keep > 0) {
        const at = i - position - firstOffset;
        magnitude[at] += size;
        trace[at] += diag / dIn;
        count[at] += 1;
      }
    }
    const spectrumPower = tf.tidy(() => {
      // [Nout, Dout*Din] -> rows of Nout samples, padded outputs zeroed.
      const rows = tf.transpose(tf.mul(tf.tensor2d(column, [nOut, dOut * dIn]), tf.tensor2d(weights, [nOut, 1])));
      const { re, im } = rfft(rows);
      return tf.div(tf.sum(tf.add(tf.square(re), tf.square(im)), 0), dIn);
    });
    const p = spectrumPower.dataSync();
    spectrumPower.dispose();
    for (let k = 0; k < bins; k++) power[k] += p[k]! / result.columns.length;
  });
  const mean = (sum: Float64Array): number[] => Array.from(sum, (v, i) => (count[i]! > 0 ? v / count[i]! : Number.NaN));
  return {
    method: result.method,
    fallback: result.fallback,
    inputLength: nIn,
    outputLength: nOut,
    columns: result.requests,
    byOffset: sameLength ? { firstOffset, magnitude: mean(magnitude), trace: mean(trace), count: Array.from(count) } : null,
    byOutputPosition: Array.from(byPosition),
    frequency: { cyclesPerToken: Array.from(cyclesPerToken(nOut)), gain: Array.from(power, Math.sqrt) },
  };
}
