// Where a mixer ported from LRA's code reaches exact softmax attention (a window covering the
// sequence, a zero synthetic matrix, a block holding every position), its output is compared
// with the float64 formula of ../attention-reference.ts on the case's own projections.
import * as tf from '@tensorflow/tfjs';
import { inferenceContext } from '../../../src/nn/context.js';
import type { Mixer } from '../../../src/mixers/types.js';
import type { ParamStore } from '../../../src/nn/params.js';
import { referenceAttention } from '../attention-reference.js';
import type { LraFixtureCase } from './lra-code-fixture.js';

const kernel = (store: ParamStore, name: string): Float64Array => Float64Array.from(store.get(`mixer/${name}/kernel`).dataSync());

/** Exact attention of the case's input (float64), causal when asked, with keys masked by `mask`. */
export function exactAttention(store: ParamStore, c: LraFixtureCase, mask: number[] | null, causal = false): Float64Array {
  const [wq, wk, wv, wo] = ['query', 'key', 'value', 'output'].map((n) => kernel(store, n)) as [Float64Array, Float64Array, Float64Array, Float64Array];
  const { batch, length, dModel, heads } = c;
  const run = (x: Float64Array, m: Float64Array | null, b: number, n: number) =>
    referenceAttention({ x, mask: m, wq, wk, wv, wo, batch: b, length: n, dModel, heads, width: dModel, rope: false });
  if (!causal) return run(Float64Array.from(c.x), mask ? Float64Array.from(mask) : null, batch, length);
  // Causal: position i of each example is full attention over its prefix 0..i.
  const out = new Float64Array(batch * length * dModel);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < length; i++) {
      const prefix = Float64Array.from(c.x.slice(b * length * dModel, (b * length + i + 1) * dModel));
      const m = mask ? Float64Array.from(mask.slice(b * length, b * length + i + 1)) : null;
      out.set(run(prefix, m, 1, i + 1).subarray(i * dModel, (i + 1) * dModel), (b * length + i) * dModel);
    }
  }
  return out;
}

/** Largest |mixer - exact| over the real positions of the case (all positions without a mask). */
export function exactLimitError(mixer: Mixer, c: LraFixtureCase, exact: Float64Array, masked: boolean): number {
  const y = tf.tidy(() =>
    mixer.apply(tf.tensor3d(Float32Array.from(c.x), [c.batch, c.length, c.dModel]), masked ? tf.tensor2d(Float32Array.from(c.mask), [c.batch, c.length]) : null, inferenceContext()).dataSync(),
  );
  let worst = 0;
  for (let i = 0; i < y.length; i++) {
    if (masked && c.mask[Math.floor(i / c.dModel)] !== 1) continue;
    worst = Math.max(worst, Math.abs(y[i]! - exact[i]!));
  }
  return worst;
}
