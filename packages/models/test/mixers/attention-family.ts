// Checks shared by the attention-family mixer tests: building a mixer on a fresh store, gradients
// of every parameter and of the input against central differences, padding invariance, shapes at
// odd and LRA lengths, and leak-free training passes. Float64 references of attention written
// from their formulas live beside it, for head tensors [BH, N, d].
import * as tf from '@tensorflow/tfjs';
import { inferenceContext, trainingContext, type ForwardContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import type { Mixer, MixerArgs, MixerSpec } from '../../src/mixers/types.js';
import { seededUniform } from '../support/random.js';

export interface Sizes {
  batch: number;
  length: number;
  dModel: number;
  heads: number;
}

export interface Built {
  store: ParamStore;
  mixer: Mixer;
  args: MixerArgs;
}

export function buildMixer<O extends object>(
  spec: MixerSpec<O>,
  options: Partial<O>,
  sizes: Sizes,
  extra: Partial<Pick<MixerArgs, 'rope' | 'seed' | 'attentionDropout'>> = {},
): Built {
  const store = new ParamStore(23);
  const args: MixerArgs = {
    dModel: sizes.dModel,
    heads: sizes.heads,
    seqLen: sizes.length,
    dropout: 0,
    attentionDropout: 0,
    params: store.scope('mixer'),
    layer: 0,
    ...extra,
  };
  const resolved = { ...spec.defaults, ...options } as O;
  const problem = spec.validate?.(args, resolved) ?? null;
  if (problem) throw new Error(problem);
  return { store, mixer: spec.create(args, resolved), args };
}

/** A mask with the last `padded[b]` positions of row b padded. */
export function tailMask(sizes: Sizes, padded: number[]): Float32Array {
  const mask = new Float32Array(sizes.batch * sizes.length).fill(1);
  padded.forEach((count, b) => {
    for (let n = sizes.length - count; n < sizes.length; n++) mask[b * sizes.length + n] = 0;
  });
  return mask;
}

export function inputValues(seed: string, sizes: Sizes, scale = 1): Float32Array {
  return Float32Array.from(seededUniform(seed, sizes.batch * sizes.length * sizes.dModel, -scale, scale));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, include?: (i: number) => boolean): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) if (!include || include(i)) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

export interface GradientReport {
  /** Worst |analytic - numeric| / (atol + rtol |numeric|) per parameter name, and "input". */
  scaled: Record<string, number>;
}

/**
 * Analytic gradients (tf.grads for the input, tf.variableGrads for every parameter of the store)
 * of loss = sum(y * w) over real positions against central differences of the same float32
 * program (each parameter element perturbed in place). The context comes from `context()` at
 * every call, so random draws repeat exactly.
 */
export function mixerGradients(
  built: Built,
  x: Float32Array,
  mask: Float32Array | null,
  sizes: Sizes,
  options: { eps?: number; atol?: number; rtol?: number; context?: () => ForwardContext } = {},
): GradientReport {
  const eps = options.eps ?? 1e-2;
  const atol = options.atol ?? 1e-3;
  const rtol = options.rtol ?? 1e-2;
  const context = options.context ?? (() => inferenceContext(3));
  const { batch, length, dModel } = sizes;
  const shape: [number, number, number] = [batch, length, dModel];
  const weights = Float32Array.from(seededUniform('loss-weights', batch * length * dModel), (w, i) =>
    mask && mask[Math.floor(i / dModel)] === 0 ? 0 : w,
  );
  const lossOf = (xt: tf.Tensor): tf.Scalar =>
    tf.tidy(() => {
      const m = mask ? tf.tensor2d(mask, [batch, length]) : null;
      return tf.sum(tf.mul(built.mixer.apply(xt as tf.Tensor3D, m, context()), tf.tensor3d(weights, shape)));
    });
  const evaluate = (xv: Float32Array): number =>
    tf.tidy(() => lossOf(tf.tensor3d(xv, shape)).dataSync()[0]!);

  const scaled: Record<string, number> = {};
  const compare = (name: string, analytic: ArrayLike<number>, numeric: ArrayLike<number>): void => {
    let worst = 0;
    for (let i = 0; i < numeric.length; i++) {
      const diff = Math.abs(analytic[i]! - numeric[i]!);
      worst = Math.max(worst, Number.isNaN(diff) ? Infinity : diff / (atol + rtol * Math.abs(numeric[i]!)));
    }
    scaled[name] = worst;
  };

  const xGrad = tf.tidy(() => tf.grad((xt: tf.Tensor) => lossOf(xt))(tf.tensor3d(x, shape)).dataSync());
  const xNumeric = new Float64Array(x.length);
  const point = Float32Array.from(x);
  for (let i = 0; i < x.length; i++) {
    const saved = point[i]!;
    point[i] = saved + eps;
    const up = evaluate(point);
    point[i] = saved - eps;
    const down = evaluate(point);
    point[i] = saved;
    xNumeric[i] = (up - down) / (2 * eps);
  }
  compare('input', xGrad, xNumeric);

  const params = built.store.variables();
  const { value, grads } = tf.variableGrads(() => lossOf(tf.tensor3d(x, shape)), params.map((p) => p.variable));
  value.dispose();
  for (const param of params) {
    const variable = param.variable;
    const original = Float32Array.from(variable.dataSync());
    const numeric = new Float64Array(original.length);
    const values = Float32Array.from(original);
    const set = (): void => {
      const t = tf.tensor(values, variable.shape);
      variable.assign(t);
      t.dispose();
    };
    for (let i = 0; i < values.length; i++) {
      values[i] = original[i]! + eps;
      set();
      const up = evaluate(x);
      values[i] = original[i]! - eps;
      set();
      const down = evaluate(x);
      values[i] = original[i]!;
      numeric[i] = (up - down) / (2 * eps);
    }
    set();
    compare(param.name, grads[variable.name]!.dataSync(), numeric);
  }
  tf.dispose(grads);
  return { scaled };
}

/** Outputs at real positions with padded positions' content replaced by large values. */
export function paddingChangesNothing(built: Built, sizes: Sizes, mask: Float32Array, x: Float32Array): number {
  const changed = Float32Array.from(x, (v, i) => (mask[Math.floor(i / sizes.dModel)] === 0 ? 50 * Math.sin(i) : v));
  const run = (values: Float32Array): Float32Array =>
    tf.tidy(() =>
      built.mixer
        .apply(
          tf.tensor3d(values, [sizes.batch, sizes.length, sizes.dModel]),
          tf.tensor2d(mask, [sizes.batch, sizes.length]),
          inferenceContext(5),
        )
        .dataSync() as Float32Array,
    );
  const a = run(x);
  const b = run(changed);
  return maxAbsDiff(a, b, (i) => mask[Math.floor(i / sizes.dModel)] === 1);
}

/** Output shape and finiteness at a length, with the last three positions of row 0 padded. */
export function outputAt(built: Built, sizes: Sizes): { shape: number[]; finite: boolean } {
  return tf.tidy(() => {
    const x = tf.tensor3d(inputValues(`x${sizes.length}`, sizes), [sizes.batch, sizes.length, sizes.dModel]);
    const mask = tf.tensor2d(tailMask(sizes, [Math.min(3, sizes.length - 1)]), [sizes.batch, sizes.length]);
    const y = built.mixer.apply(x, mask, trainingContext(1, 7));
    return { shape: y.shape, finite: Array.from(y.dataSync()).every(Number.isFinite) };
  });
}

/** Tensors left behind by forward and backward training passes (0 when none leak). */
export function leakedTensors(built: Built, sizes: Sizes): number {
  const x = tf.tensor3d(inputValues('leak', sizes), [sizes.batch, sizes.length, sizes.dModel]);
  const mask = tf.tensor2d(tailMask(sizes, [2]), [sizes.batch, sizes.length]);
  built.mixer.apply(x, mask, trainingContext(1, 0)).dispose();
  const before = tf.memory().numTensors;
  for (let step = 1; step < 4; step++) {
    built.mixer.apply(x, mask, trainingContext(1, step)).dispose();
    const { value, grads } = tf.variableGrads(() => tf.sum(built.mixer.apply(x, mask, trainingContext(1, step))));
    value.dispose();
    tf.dispose(grads);
  }
  const leaked = tf.memory().numTensors - before;
  x.dispose();
  mask.dispose();
  return leaked;
}

// ---- float64 references over heads: arrays [BH, N, d] flattened ----

export interface Heads64 {
  bh: number;
  n: number;
  d: number;
}

export function dot64(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number, d: number): number {
  let s = 0;
  for (let c = 0; c < d; c++) s += a[ai + c]! * b[bi + c]!;
  return s;
}

/**
 * Softmax attention with scores given per (head row, query, key); a null score leaves the key out
 * of the softmax entirely. A query with no keys gets zeros.
 */
export function softmaxFromScores64(
  dims: Heads64,
  score: (h: number, i: number, j: number) => number | null,
  v: ArrayLike<number>,
): Float64Array {
  const { bh, n, d } = dims;
  const out = new Float64Array(bh * n * d);
  for (let h = 0; h < bh; h++) {
    for (let i = 0; i < n; i++) {
      const keys: number[] = [];
      const scores: number[] = [];
      for (let j = 0; j < n; j++) {
        const s = score(h, i, j);
        if (s === null) continue;
        keys.push(j);
        scores.push(s);
      }
      if (keys.length === 0) continue;
      const max = Math.max(...scores);
      const w = scores.map((s) => Math.exp(s - max));
      const total = w.reduce((a, b) => a + b, 0);
      keys.forEach((j, t) => {
        for (let c = 0; c < d; c++) out[(h * n + i) * d + c] += (w[t]! / total) * v[(h * n + j) * d + c]!;
      });
    }
  }
  return out;
}

/** sum_j K(i, j) v_j / (sum_j K(i, j) + eps), keys with K = null left out. */
export function kernelAverage64(
  dims: Heads64,
  kernel: (h: number, i: number, j: number) => number | null,
  v: ArrayLike<number>,
  eps: number,
): Float64Array {
  const { bh, n, d } = dims;
  const out = new Float64Array(bh * n * d);
  for (let h = 0; h < bh; h++) {
    for (let i = 0; i < n; i++) {
      let total = 0;
      const acc = new Float64Array(d);
      for (let j = 0; j < n; j++) {
        const k = kernel(h, i, j);
        if (k === null) continue;
        total += k;
        for (let c = 0; c < d; c++) acc[c] += k * v[(h * n + j) * d + c]!;
      }
      for (let c = 0; c < d; c++) out[(h * n + i) * d + c] = acc[c]! / (total + eps);
    }
  }
  return out;
}

export function headTensor(values: ArrayLike<number>, dims: Heads64): tf.Tensor3D {
  return tf.tensor3d(Float32Array.from(values), [dims.bh, dims.n, dims.d]);
}
