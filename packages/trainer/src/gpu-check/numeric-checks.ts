// The project's numbers on one backend against references that do not depend on it: the
// spectral ops against dense transforms computed in float64 here, and the classifier's forward
// pass and training step against the same weights on tfjs's plain CPU backend. The test suite
// runs its own checks on cpu and wasm only; this is what a GPU machine without vitest can run
// from the built packages (scripts/gpu-check.sh, step "numeric").
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { type BackendRequest, type ClassifierConfig, createClassifier, inferenceContext, selectBackend, spectral, trainingContext } from '@lra/models';
import { benchConfig } from '../bench/model-bench.js';
import { syntheticBatch } from '../check/synthetic-batch.js';
import { toTensors } from '../train/batch-tensors.js';
import { AdamW } from '../train/optimizer.js';
import { trainStep } from '../train/step.js';

export interface CheckResult {
  name: string;
  ok: boolean;
  /** The largest error, relative to the reference's largest magnitude (1 where it has none). */
  relError: number;
  tolerance: number;
  ms: number;
  detail?: string;
}

export interface NumericReport {
  backend: string;
  device?: string;
  ok: boolean;
  checks: CheckResult[];
}

/** The largest |a - b| over the largest |b|: an error on the scale of the reference. */
export function relativeError(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  if (actual.length !== reference.length) throw new Error(`length ${actual.length} against a reference of ${reference.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = Math.abs(actual[i]! - reference[i]!);
    // NaN compares false with everything: count it as an infinite error, never as a match.
    diff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(reference[i]!));
  }
  return diff / (scale > 0 ? scale : 1);
}

/** Uniform values in [-1, 1), rounded to float32 so both sides start from the same numbers. */
function randomValues(count: number, seed: string): Float32Array {
  const rng = seedrandom(seed);
  return Float32Array.from({ length: count }, () => 2 * rng() - 1);
}

/** rfft of each row by the definition, in float64: bins 0..n/2, unnormalised. */
export function denseRfft(x: ArrayLike<number>, rows: number, n: number): { re: Float64Array; im: Float64Array } {
  const bins = Math.floor(n / 2) + 1;
  const re = new Float64Array(rows * bins);
  const im = new Float64Array(rows * bins);
  const cos = Float64Array.from({ length: n }, (_, t) => Math.cos((2 * Math.PI * t) / n));
  const sin = Float64Array.from({ length: n }, (_, t) => Math.sin((2 * Math.PI * t) / n));
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < bins; k++) {
      let sr = 0;
      let si = 0;
      for (let t = 0; t < n; t++) {
        const w = (k * t) % n;
        const v = x[r * n + t]!;
        sr += v * cos[w]!;
        si -= v * sin[w]!;
      }
      re[r * bins + k] = sr;
      im[r * bins + k] = si;
    }
  }
  return { re, im };
}

/** y[t] = sum over j <= t of k[j] u[t - j], per row, in float64: fftconv's definition. */
export function directCausalConvolution(u: ArrayLike<number>, k: ArrayLike<number>, rows: number, n: number): Float64Array {
  const y = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < n; t++) {
      let s = 0;
      for (let j = 0; j <= t; j++) s += k[r * n + j]! * u[r * n + t - j]!;
      y[r * n + t] = s;
    }
  }
  return y;
}

async function timed(name: string, tolerance: number, run: () => Promise<{ relError: number; detail?: string }>): Promise<CheckResult> {
  const t0 = performance.now();
  try {
    const { relError, detail } = await run();
    const result: CheckResult = { name, ok: relError <= tolerance, relError, tolerance, ms: performance.now() - t0 };
    if (detail !== undefined) result.detail = detail;
    return result;
  } catch (error) {
    return { name, ok: false, relError: Number.POSITIVE_INFINITY, tolerance, ms: performance.now() - t0, detail: (error as Error).message.split('\n')[0]! };
  }
}

/** Lengths that take each path of the spectral kernels: powers of two, a composite, a prime (Bluestein). */
export const SPECTRAL_LENGTHS = [64, 1000, 1021, 4096] as const;

async function spectralChecks(): Promise<CheckResult[]> {
  const rows = 2;
  const results: CheckResult[] = [];
  for (const n of SPECTRAL_LENGTHS) {
    const x = randomValues(rows * n, `rfft/${n}`);
    const reference = denseRfft(x, rows, n);
    results.push(await timed(`rfft n=${n} vs dense DFT`, 1e-4, async () => {
      const { re, im } = tf.tidy(() => spectral.rfft(tf.tensor2d(x, [rows, n])));
      const [reValues, imValues] = [await re.data(), await im.data()];
      tf.dispose([re, im]);
      return { relError: Math.max(relativeError(reValues, reference.re), relativeError(imValues, reference.im)) };
    }));
    results.push(await timed(`irfft(rfft(x)) n=${n}`, 1e-4, async () => {
      const back = tf.tidy(() => {
        const signal = tf.tensor2d(x, [rows, n]);
        return spectral.irfft(spectral.rfft(signal), { n });
      });
      const values = await back.data();
      back.dispose();
      return { relError: relativeError(values, x) };
    }));
  }
  const n = 1024;
  const u = randomValues(rows * n, 'fftconv/u');
  const k = randomValues(rows * n, 'fftconv/k');
  const reference = directCausalConvolution(u, k, rows, n);
  results.push(await timed(`fftconv n=${n} vs direct convolution`, 1e-4, async () => {
    const y = tf.tidy(() => spectral.fftconv(tf.tensor2d(u, [rows, n]), tf.tensor2d(k, [rows, n])));
    const values = await y.data();
    y.dispose();
    return { relError: relativeError(values, reference) };
  }));
  return results;
}

/** The mixers a GPU check covers: exact attention and the three spectral families timed by `lra bench`. */
export const CHECKED_MIXERS = ['attention', 'fnet', 'fftnet', 'hyena'] as const;
const MODEL_LENGTH = 256;

function checkConfig(mixer: string): ClassifierConfig {
  // Dropout off: both backends must compute the same function, whatever their random streams.
  return { ...benchConfig(mixer, MODEL_LENGTH, { batch: 2, dModel: 32, heads: 4, layers: 1, mlpDim: 64 }), dropout: 0, attentionDropout: 0 };
}

function concatenated(arrays: Float32Array[]): Float32Array {
  const all = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    all.set(a, offset);
    offset += a.length;
  }
  return all;
}

interface ModelOutputs {
  logits: Float32Array;
  loss: number;
  /** Every parameter after one AdamW step, concatenated. */
  updated: Float32Array;
}

/** Logits, one training step's loss and the parameters it leaves, for weights given or initialised. */
async function modelOutputs(mixer: string, weights: Float32Array[] | null): Promise<{ outputs: ModelOutputs; weights: Float32Array[] }> {
  const config = checkConfig(mixer);
  const model = createClassifier(config, 1);
  const optimizer = new AdamW(model.params.variables(), { beta1: 0.9, beta2: 0.98, eps: 1e-9, weightDecay: 0, gradClipNorm: null });
  try {
    const variables = model.params.variables().map((p) => p.variable);
    if (weights !== null) variables.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(weights[i]!, v.shape, 'float32'))));
    const initial = await Promise.all(variables.map(async (v) => Float32Array.from(await v.data())));
    const batch = syntheticBatch({ size: 2, seqLen: MODEL_LENGTH, vocabSize: config.vocabSize, numClasses: config.numClasses, pair: false, seed: `gpu-check/${mixer}` });
    const logitsTensor = tf.tidy(() => model.logits({ tokens: toTensors(batch).tokens }, inferenceContext()));
    const logits = Float32Array.from(await logitsTensor.data());
    logitsTensor.dispose();
    const step = await trainStep(model, optimizer, batch, 1e-3, trainingContext(1, 0));
    const updated = concatenated(await Promise.all(variables.map(async (v) => Float32Array.from(await v.data()))));
    return { outputs: { logits, loss: step.loss, updated }, weights: initial };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

async function modelChecks(backend: BackendRequest, references: Map<string, { outputs: ModelOutputs; weights: Float32Array[] }>): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const mixer of CHECKED_MIXERS) {
    const reference = references.get(mixer)!;
    // One model build gives both checks, so the logits check's ms includes the training step.
    let outputs: ModelOutputs | null = null;
    const load = async () => {
      outputs ??= (await modelOutputs(mixer, reference.weights)).outputs;
      return outputs;
    };
    results.push(await timed(`${mixer} logits vs cpu (L=${MODEL_LENGTH})`, 1e-3, async () => ({ relError: relativeError((await load()).logits, reference.outputs.logits) })));
    // The loss is compared, not the parameters after the step: Adam's first step moves each
    // parameter by about lr * sign(gradient), so a gradient that is zero up to rounding may
    // move the other way on another backend without anything being wrong.
    results.push(await timed(`${mixer} training step vs cpu`, 1e-3, async () => {
      const out = await load();
      const finite = Number.isFinite(out.loss) && out.updated.every(Number.isFinite);
      if (!finite) return { relError: Number.POSITIVE_INFINITY, detail: `loss ${out.loss}; a parameter is not finite after the step on ${backend}` };
      if (relativeError(out.updated, concatenated(reference.weights)) === 0) {
        return { relError: Number.POSITIVE_INFINITY, detail: `the step on ${backend} left every parameter as it was` };
      }
      const lossError = Math.abs(out.loss - reference.outputs.loss) / Math.max(Math.abs(reference.outputs.loss), 1e-6);
      const paramError = relativeError(out.updated, reference.outputs.updated);
      return { relError: lossError, detail: `loss ${out.loss.toFixed(6)} (cpu ${reference.outputs.loss.toFixed(6)}); parameters after the step within ${paramError.toExponential(2)} of cpu's` };
    }));
  }
  return results;
}

/**
 * Runs every check on `backend`. The references of the model checks are computed first on tfjs's
 * cpu backend, from the weights it initialises; the backend checked then starts from those weights.
 */
export async function runNumericChecks(backend: BackendRequest): Promise<NumericReport> {
  await selectBackend('cpu');
  const references = new Map<string, { outputs: ModelOutputs; weights: Float32Array[] }>();
  for (const mixer of CHECKED_MIXERS) references.set(mixer, await modelOutputs(mixer, null));
  const choice = await selectBackend(backend);
  const checks = [...(await spectralChecks()), ...(await modelChecks(backend, references))];
  const report: NumericReport = { backend: choice.name, ok: checks.every((c) => c.ok), checks };
  if (choice.device !== undefined) report.device = choice.device;
  return report;
}
