// S4 against a numpy port of state-spaces/s4's own computation (scripts/fixtures/s4_reference.py):
// HiPPO-LegS in NPLR form, C~, the generating-function kernel with its Cauchy sums and Woodbury
// correction, FFTConv's bidirectional layout and S4Block's GELU, Linear and GLU, on the same
// weights and inputs.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { legsNplr } from '../../src/mixers/hippo.js';
import { s4, type S4Options } from '../../src/mixers/s4.js';
import { s4Kernel } from '../../src/mixers/s4-kernel.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { s4Float64 } from './s4-float64.js';
import { maxAbsDiff, readParams } from './spectral-reference.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/mixers/s4-reference.json', import.meta.url), 'utf8')) as {
  batch: number;
  channels: number;
  nSsm: number;
  dState: number;
  length: number;
  shortLength: number;
  params: Record<string, { shape: number[]; values: number[] }>;
  x: number[];
  kernel: number[];
  y: number[];
  yShort: number[];
  nplr: Record<string, { lambdaRe: number[]; lambdaIm: number[]; pRe: number[]; pIm: number[]; bRe: number[]; bIm: number[] }>;
};

function build() {
  const store = new ParamStore(4);
  const options: S4Options = { ...s4.defaults, dState: fixture.dState, nSsm: fixture.nSsm };
  const args = { dModel: fixture.channels, heads: 1, seqLen: fixture.length, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0 };
  expect(s4.validate!(args, options)).toBeNull();
  const mixer = s4.create(args, options);
  for (const [key, entry] of Object.entries(fixture.params)) {
    const variable = store.get(`mixer/${key}`);
    expect(variable.shape, key).toEqual(entry.shape);
    variable.assign(tf.tensor(Float32Array.from(entry.values), entry.shape));
  }
  expect(store.variables().length).toBe(Object.keys(fixture.params).length);
  return { store, mixer };
}

/** The first `length` positions of x [B, L, H]. */
function prefix(x: ArrayLike<number>, length: number): Float64Array {
  const { batch, length: full, channels } = fixture;
  return Float64Array.from({ length: batch * length * channels }, (_, i) => {
    const b = Math.floor(i / (length * channels));
    return x[b * full * channels + (i % (length * channels))]!;
  });
}

describe("s4 against the numpy port of state-spaces/s4's S4Block", () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  for (const size of ['8', '64']) {
    it(`diagonalises HiPPO-LegS as nplr does: Lambda, P and the clipped B, up to a sign per mode (N = ${size})`, () => {
      const nplr = legsNplr(Number(size));
      const want = fixture.nplr[size]!;
      for (let m = 0; m < Number(size) / 2; m++) {
        expect(nplr.lambdaRe[m]).toBeCloseTo(want.lambdaRe[m]!, 9);
        expect(nplr.lambdaIm[m]).toBeCloseTo(want.lambdaIm[m]!, 9);
        // LAPACK's eigenvectors have a real first component of either sign; ours a positive one.
        const sign = Math.sign(nplr.pRe[m]! * want.pRe[m]! + nplr.pIm[m]! * want.pIm[m]!);
        expect(nplr.pRe[m]).toBeCloseTo(sign * want.pRe[m]!, 8);
        expect(nplr.pIm[m]).toBeCloseTo(sign * want.pIm[m]!, 8);
        expect(nplr.bRe[m]).toBeCloseTo(sign * want.bRe[m]!, 8);
        expect(nplr.bIm[m]).toBeCloseTo(sign * want.bIm[m]!, 8);
      }
    });
  }

  it('has the kernel of SSMKernelDPLR.forward: Cauchy sums, Woodbury correction, irfft', () => {
    const { store } = build();
    const kernel = tf.tidy(() =>
      s4Kernel(
        {
          invDt: store.get('mixer/invDt'),
          logAReal: store.get('mixer/logAReal'),
          aImag: store.get('mixer/aImag'),
          p: store.get('mixer/P'),
          b: store.get('mixer/B'),
          cTilde: store.get('mixer/cTilde'),
        },
        'softplus',
        fixture.length,
        fixture.length,
      ).dataSync(),
    );
    expect(maxAbsDiff(kernel, fixture.kernel)).toBeLessThan(1e-5);
    store.dispose();
  });

  it('matches the output of S4Block on the whole input and on a prefix (kernel cut from l_max)', () => {
    const { store, mixer } = build();
    const { batch, length, channels, shortLength } = fixture;
    const y = tf.tidy(() => mixer.apply(tf.tensor3d(Float32Array.from(fixture.x), [batch, length, channels]), null, inferenceContext()).dataSync());
    expect(maxAbsDiff(y, fixture.y)).toBeLessThan(1e-4);
    const short = prefix(fixture.x, shortLength);
    const yShort = tf.tidy(() => mixer.apply(tf.tensor3d(Float32Array.from(short), [batch, shortLength, channels]), null, inferenceContext()).dataSync());
    expect(maxAbsDiff(yShort, fixture.yShort)).toBeLessThan(1e-4);
    // The tests' float64 mixer (dense recurrence, C recovered from C~) agrees with the port.
    const params = readParams(store);
    const dims = { batch, channels, modes: fixture.dState / 2, nodes: length, bidirectional: true };
    expect(maxAbsDiff(s4Float64(params, fixture.x, null, { ...dims, length }), fixture.y)).toBeLessThan(1e-5);
    expect(maxAbsDiff(s4Float64(params, short, null, { ...dims, length: shortLength }), fixture.yShort)).toBeLessThan(1e-5);
    store.dispose();
  });
});
