// Bidirectional S4D, impl 'reference': the two directions share dt and A and differ only in C, as
// state-spaces/s4 does; checked against a numpy port of its kernel and convolution
// (scripts/fixtures/s4d_bidirectional_reference.py).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { s4d, type S4dOptions } from '../../src/mixers/s4d.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { assertGradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { expectParamGradients, geluExact, maxAbsDiff, readParams } from './spectral-reference.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/mixers/s4d-bidirectional-reference.json', import.meta.url), 'utf8')) as {
  batch: number;
  channels: number;
  dState: number;
  length: number;
  params: Record<string, { shape: number[]; values: number[] }>;
  x: number[];
  y: number[];
};

/** The fixture's names for our parameters: dt and A are the forward kernel's, shared. */
const NAMES: Record<string, string> = {
  logDt: 'mixer/forward/logDt',
  logAReal: 'mixer/forward/logAReal',
  aImag: 'mixer/forward/aImag',
  'forward/cRe': 'mixer/forward/cRe',
  'forward/cIm': 'mixer/forward/cIm',
  'backward/cRe': 'mixer/backward/cRe',
  'backward/cIm': 'mixer/backward/cIm',
  D: 'mixer/D',
  'output/kernel': 'mixer/output/kernel',
  'output/bias': 'mixer/output/bias',
};

/**
 * The mixer with shared dt and A in float64, written from the formulas: kernels
 * K_c[l] = 2 Re sum_n C_cn (exp(dt A_n) - 1) / A_n exp(dt A_n l) for c = forward, backward; then
 * y_t = sum_{s <= t} K_f[t - s] u_s + sum_{s > t} K_b[s - t - 1] u_s + D u_t, GELU, Dense, GLU.
 */
function sharedReference(x: ArrayLike<number>, params: Record<string, Float64Array>, batch: number, length: number, channels: number): Float64Array {
  const p = (name: string) => params[`mixer/${name}`]!;
  const modes = p('forward/aImag').length / channels;
  const kernel = (direction: string): Float64Array => {
    const k = new Float64Array(channels * length);
    for (let h = 0; h < channels; h++) {
      const dt = Math.exp(p('forward/logDt')[h]!);
      for (let n = 0; n < modes; n++) {
        const aRe = -Math.exp(p('forward/logAReal')[h * modes + n]!);
        const aIm = p('forward/aImag')[h * modes + n]!;
        const eRe = Math.exp(dt * aRe) * Math.cos(dt * aIm) - 1;
        const eIm = Math.exp(dt * aRe) * Math.sin(dt * aIm);
        const norm = aRe * aRe + aIm * aIm;
        const fRe = (eRe * aRe + eIm * aIm) / norm;
        const fIm = (eIm * aRe - eRe * aIm) / norm;
        const cRe = p(`${direction}/cRe`)[h * modes + n]!;
        const cIm = p(`${direction}/cIm`)[h * modes + n]!;
        const wRe = cRe * fRe - cIm * fIm;
        const wIm = cRe * fIm + cIm * fRe;
        for (let l = 0; l < length; l++) {
          const mag = Math.exp(dt * aRe * l);
          k[h * length + l]! += 2 * mag * (wRe * Math.cos(dt * aIm * l) - wIm * Math.sin(dt * aIm * l));
        }
      }
    }
    return k;
  };
  const forward = kernel('forward');
  const backward = kernel('backward');
  const out = new Float64Array(batch * length * channels);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < length; t++) {
      const act = new Float64Array(channels);
      for (let h = 0; h < channels; h++) {
        const u = (s: number) => x[(b * length + s) * channels + h]!;
        let y = p('D')[h]! * u(t);
        for (let s = 0; s < length; s++) y += s <= t ? forward[h * length + t - s]! * u(s) : backward[h * length + s - t - 1]! * u(s);
        act[h] = geluExact(y);
      }
      for (let c = 0; c < channels; c++) {
        let value = p('output/bias')[c]!;
        let gate = p('output/bias')[channels + c]!;
        for (let h = 0; h < channels; h++) {
          value += act[h]! * p('output/kernel')[h * 2 * channels + c]!;
          gate += act[h]! * p('output/kernel')[h * 2 * channels + channels + c]!;
        }
        out[(b * length + t) * channels + c] = value / (1 + Math.exp(-gate));
      }
    }
  }
  return out;
}

function build(impl: S4dOptions['impl']) {
  const store = new ParamStore(2);
  const options: S4dOptions = { ...s4d.defaults, dState: fixture.dState, impl };
  const args = { dModel: fixture.channels, heads: 1, seqLen: fixture.length, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0 };
  expect(s4d.validate!(args, options)).toBeNull();
  return { store, mixer: s4d.create(args, options) };
}

describe("s4d impl 'reference': bidirectional with shared dt and A", () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('doubles only C: the backward direction has its own cRe and cIm and nothing else', () => {
    const reference = build('reference');
    expect(reference.store.variables().map((p) => p.name).sort()).toEqual(Object.values(NAMES).sort());
    reference.store.dispose();
    // The clean form keeps a whole kernel per direction (the names of existing checkpoints).
    const clean = build('clean');
    const names = clean.store.variables().map((p) => p.name);
    for (const name of ['logDt', 'logAReal', 'aImag', 'cRe', 'cIm']) expect(names).toContain(`mixer/backward/${name}`);
    clean.store.dispose();
  });

  it("matches the numpy port of state-spaces/s4's bidirectional kernel, convolution, D skip, GELU and GLU", () => {
    const { store, mixer } = build('reference');
    for (const [key, entry] of Object.entries(fixture.params)) {
      const variable = store.get(NAMES[key]!);
      expect(variable.shape).toEqual(entry.shape);
      variable.assign(tf.tensor(Float32Array.from(entry.values), entry.shape));
    }
    const x = tf.tensor3d(Float32Array.from(fixture.x), [fixture.batch, fixture.length, fixture.channels]);
    const y = mixer.apply(x, null, inferenceContext());
    expect(maxAbsDiff(y.dataSync(), fixture.y)).toBeLessThan(1e-4);
    // The backward direction matters: with its C changed the output moves.
    const cRe = store.get('mixer/backward/cRe');
    cRe.assign(tf.mul(cRe, -1) as tf.Tensor);
    const changed = mixer.apply(x, null, inferenceContext());
    expect(maxAbsDiff(changed.dataSync(), fixture.y)).toBeGreaterThan(1e-3);
    tf.dispose([x, y, changed]);
    store.dispose();
  });

  it('has gradients for the input and every parameter, the shared dt and A included, that match finite differences', () => {
    const { store, mixer } = build('reference');
    for (const [key, entry] of Object.entries(fixture.params)) store.get(NAMES[key]!).assign(tf.tensor(Float32Array.from(entry.values), entry.shape));
    const { batch, length, channels } = fixture;
    const weights = seededUniform('s4d-ref-w', batch * length * channels);
    const lossOf = (y: Float64Array) => y.reduce((sum, v, i) => sum + v * weights[i]!, 0);
    const w = tf.tensor3d(Float32Array.from(weights), [batch, length, channels]);
    const x = tf.tensor3d(Float32Array.from(fixture.x), [batch, length, channels]);
    const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(mixer.apply(input as tf.Tensor3D, null, inferenceContext()), w));
    // The float64 reference agrees with the numpy port first.
    expect(maxAbsDiff(sharedReference(fixture.x, readParams(store), batch, length, channels), fixture.y)).toBeLessThan(1e-5);
    assertGradcheck(loss, [x], { reference: (xs) => lossOf(sharedReference(xs, readParams(store), batch, length, channels)), atol: 2e-4, rtol: 2e-3 });
    const checked = expectParamGradients(store, () => loss(x), (params) => lossOf(sharedReference(fixture.x, params, batch, length, channels)), {
      atol: 2e-4,
      rtol: 2e-3,
    });
    expect(checked.sort()).toEqual(Object.values(NAMES).sort());
    tf.dispose([w, x]);
    store.dispose();
  });
});
