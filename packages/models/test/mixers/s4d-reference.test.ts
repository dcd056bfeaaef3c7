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
import { maxAbsDiff } from './spectral-reference.js';

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

  it('trains dt and A through both directions: their gradients are the sum of each direction', () => {
    const { store, mixer } = build('reference');
    const x = tf.tensor3d(Float32Array.from(fixture.x), [fixture.batch, fixture.length, fixture.channels]);
    const logDt = store.get('mixer/forward/logDt');
    const { value, grads } = tf.variableGrads(() => tf.sum(mixer.apply(x, null, inferenceContext())), [logDt]);
    const withBoth = grads[logDt.name]!.dataSync().slice();
    tf.dispose([value, grads[logDt.name]!]);
    // Silencing the backward C leaves only the forward direction's share of the gradient.
    for (const name of ['mixer/backward/cRe', 'mixer/backward/cIm']) store.get(name).assign(tf.zeros(store.get(name).shape));
    const forwardOnly = tf.variableGrads(() => tf.sum(mixer.apply(x, null, inferenceContext())), [logDt]);
    expect(maxAbsDiff(withBoth, forwardOnly.grads[logDt.name]!.dataSync())).toBeGreaterThan(1e-4);
    tf.dispose([x, forwardOnly.value, forwardOnly.grads[logDt.name]!]);
    store.dispose();
  });
});
