// Op-level timing of the spectral ops: forward, and forward + backward through tf.grads, on
// [rows, N] inputs (fnetMix: [1, N, rows]), on whatever backend is active. The loss is
// sum(w * output) over the op's outputs for fixed random w, as in scripts/bench/torch_fft.py.
// Its gradient is declared directly (dL/doutput = w, tf.customGrad): tfjs's own gradient of a
// sum builds a tensor of ones in JavaScript, and concatenating the outputs to pass dy costs as
// much, each about as long as the op itself on wasm at [512, 4096].
import * as tf from '@tensorflow/tfjs';
import { spectral } from '@lra/models';

export interface SpectralOpBenchOptions {
  ops: string[];
  lengths: number[];
  rows: number;
  /** Timed repeats per measurement; the median is reported. Default 5. */
  repeats?: number;
  /** Untimed runs before timing. Default 2; runs continue until 100 ms have passed as well. */
  warmup?: number;
}

export interface SpectralOpBenchRow {
  op: string;
  rows: number;
  n: number;
  /** Median milliseconds of one forward call. */
  forwardMs: number;
  /** Median milliseconds of one tf.grad call (forward and backward). */
  forwardBackwardMs: number;
  /** n * log2(n). */
  nlog2n: number;
  /** forwardMs / (rows * n * log2 n): flat across lengths when the op is O(N log N). */
  msPerNlogN: number;
}

/** A benchmark case: inputs to differentiate and the op applied to them. */
interface OpCase {
  inputs: tf.Tensor[];
  run: (...inputs: tf.Tensor[]) => tf.Tensor[];
}

type CaseFactory = (rows: number, n: number) => OpCase;

const uniform = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);
const parts = (z: spectral.ComplexTensors) => [z.re, z.im];

const CASES: Record<string, CaseFactory> = {
  rfft: (rows, n) => ({ inputs: [uniform([rows, n], 11)], run: (x) => parts(spectral.rfft(x!)) }),
  irfft: (rows, n) => {
    const bins = Math.floor(n / 2) + 1;
    return {
      inputs: [uniform([rows, bins], 12), uniform([rows, bins], 13)],
      run: (re, im) => [spectral.irfft({ re: re!, im: im! }, { n })],
    };
  },
  fft: (rows, n) => ({
    inputs: [uniform([rows, n], 14), uniform([rows, n], 15)],
    run: (re, im) => parts(spectral.fft({ re: re!, im: im! })),
  }),
  ifft: (rows, n) => ({
    inputs: [uniform([rows, n], 16), uniform([rows, n], 17)],
    run: (re, im) => parts(spectral.ifft({ re: re!, im: im! })),
  }),
  dct: (rows, n) => ({ inputs: [uniform([rows, n], 18)], run: (x) => [spectral.dct(x!)] }),
  idct: (rows, n) => ({ inputs: [uniform([rows, n], 19)], run: (x) => [spectral.idct(x!)] }),
  fftconv: (rows, n) => ({
    inputs: [uniform([rows, n], 20), uniform([n], 21)],
    run: (u, k) => [spectral.fftconv(u!, k!)],
  }),
  toeplitz: (rows, n) => ({
    inputs: [uniform([2 * n - 1], 22), uniform([rows, n], 23)],
    run: (c, x) => [spectral.toeplitzMatvec(c!, x!)],
  }),
  fnetMix: (rows, n) => ({ inputs: [uniform([1, n, rows], 24)], run: (x) => [spectral.fnetMix(x!)] }),
};

/** The ops benchSpectralOps knows, by the names it takes. */
export const SPECTRAL_BENCH_OPS = Object.keys(CASES);

/** Backends whose kernels finish before the op returns; others are awaited by reading results. */
const SYNCHRONOUS_BACKENDS = new Set(['cpu', 'wasm', 'tensorflow']);

async function settle(tensors: tf.Tensor[]): Promise<void> {
  if (!SYNCHRONOUS_BACKENDS.has(tf.getBackend())) await Promise.all(tensors.map((t) => t.data()));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Shortest timed repeat: fast calls are looped so that timer resolution does not dominate. */
const MIN_REPEAT_MS = 20;
/** Shortest warm-up: the JavaScript kernels run slower until the JIT has optimised their loops. */
const MIN_WARMUP_MS = 100;

/** Median time of one call of `step` (which returns the tensors it made). */
async function timeStep(step: () => tf.Tensor[], repeats: number, warmup: number): Promise<number> {
  let single = 0;
  const warmupStart = performance.now();
  for (let i = 0; i < Math.max(1, warmup) || performance.now() - warmupStart < MIN_WARMUP_MS; i++) {
    const start = performance.now();
    const out = step();
    await settle(out);
    single = performance.now() - start;
    tf.dispose(out);
  }
  const calls = Math.max(1, Math.ceil(MIN_REPEAT_MS / Math.max(single, 1e-3)));
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    for (let c = 0; c < calls; c++) {
      const out = step();
      await settle(out);
      tf.dispose(out);
    }
    times.push((performance.now() - start) / calls);
  }
  return median(times);
}

/** L = sum_i sum(w_i * outputs_i), whose gradient with respect to outputs_i is w_i. */
function probeLoss(weights: tf.Tensor[]): (outputs: tf.Tensor[]) => tf.Scalar {
  const loss = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const outputs = args.slice(0, weights.length) as tf.Tensor[];
    return {
      value: tf.addN(outputs.map((o, i) => tf.sum(tf.mul(o, weights[i]!)))) as tf.Scalar,
      gradFunc: (dy: tf.Scalar) => weights.map((w) => tf.mul(w, dy)),
    };
  });
  return (outputs) => loss(...outputs);
}

export async function benchSpectralOps(opts: SpectralOpBenchOptions): Promise<SpectralOpBenchRow[]> {
  const repeats = Math.max(1, opts.repeats ?? 5);
  const warmup = Math.max(0, opts.warmup ?? 2);
  for (const op of opts.ops) {
    if (!(op in CASES)) throw new Error(`unknown spectral op '${op}': expected one of ${SPECTRAL_BENCH_OPS.join(', ')}`);
  }
  const rows: SpectralOpBenchRow[] = [];
  for (const op of opts.ops) {
    for (const n of opts.lengths) {
      const { inputs, run } = CASES[op]!(opts.rows, n);
      const weights = tf.tidy(() => run(...inputs).map((o, i) => uniform(o.shape, 31 + i)));
      const loss = probeLoss(weights);
      const gradients = tf.grads((...xs: tf.Tensor[]) => loss(run(...xs)));
      const forwardMs = await timeStep(() => run(...inputs), repeats, warmup);
      const forwardBackwardMs = await timeStep(() => gradients(inputs), repeats, warmup);
      tf.dispose([...inputs, ...weights]);
      const nlog2n = n * Math.log2(Math.max(n, 2));
      rows.push({ op, rows: opts.rows, n, forwardMs, forwardBackwardMs, nlog2n, msPerNlogN: forwardMs / (opts.rows * nlog2n) });
    }
  }
  return rows;
}
