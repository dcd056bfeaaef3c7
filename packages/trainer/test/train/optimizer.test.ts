import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@lra/models';
import { AdamW } from '../../src/train/optimizer.js';

/** Flax-style Adam with decoupled weight decay, in float64, as the independent reference. */
function referenceAdamW(p0: number[], grads: number[][], lrs: number[], s: { beta1: number; beta2: number; eps: number; wd: number }): number[] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, t) => {
    const step = t + 1;
    for (let i = 0; i < p.length; i++) {
      m[i] = s.beta1 * m[i]! + (1 - s.beta1) * g[i]!;
      v[i] = s.beta2 * v[i]! + (1 - s.beta2) * g[i]! ** 2;
      const mh = m[i]! / (1 - s.beta1 ** step);
      const vh = v[i]! / (1 - s.beta2 ** step);
      p[i] = p[i]! - lrs[t]! * mh / (Math.sqrt(vh) + s.eps) - lrs[t]! * s.wd * p[i]!;
    }
  });
  return p;
}

describe('AdamW', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('matches a float64 reference over several steps, with decay only where asked', async () => {
    const p0 = [0.5, -1.25, 2.0];
    const grads = [[0.1, -0.2, 0.3], [0.05, 0.4, -0.1], [-0.3, 0.1, 0.2], [0.2, 0.2, 0.2]];
    const lrs = [0.01, 0.02, 0.015, 0.005];
    const s = { beta1: 0.9, beta2: 0.98, eps: 1e-9, wd: 0.1 };
    const decayed = tf.variable(tf.tensor1d(p0));
    const plain = tf.variable(tf.tensor1d(p0));
    const opt = new AdamW(
      [
        { name: 'a', variable: decayed, decay: true },
        { name: 'b', variable: plain, decay: false },
      ],
      { beta1: s.beta1, beta2: s.beta2, eps: s.eps, weightDecay: s.wd, gradClipNorm: null },
    );
    for (const [t, g] of grads.entries()) {
      const gt = tf.tensor1d(g);
      opt.apply(new Map([['a', gt], ['b', gt]]), lrs[t]!);
      gt.dispose();
    }
    const want = referenceAdamW(p0, grads, lrs, s);
    const wantPlain = referenceAdamW(p0, grads, lrs, { ...s, wd: 0 });
    const got = Array.from(await decayed.data());
    const gotPlain = Array.from(await plain.data());
    got.forEach((x, i) => expect(x).toBeCloseTo(want[i]!, 5));
    gotPlain.forEach((x, i) => expect(x).toBeCloseTo(wantPlain[i]!, 5));
    expect(got[0]).not.toBeCloseTo(gotPlain[0]!, 5);
    opt.dispose();
    decayed.dispose();
    plain.dispose();
  });

  it('clips by global norm: a gradient of norm 5 with limit 1 acts as one of norm 1', async () => {
    const run = async (g: number[], clip: number | null) => {
      const w = tf.variable(tf.tensor1d([0, 0]));
      const opt = new AdamW([{ name: 'w', variable: w, decay: false }], { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, gradClipNorm: clip });
      const gt = tf.tensor1d(g);
      // Two steps so that the clipped magnitude matters to Adam's normalisation.
      opt.apply(new Map([['w', gt]]), 1);
      const g2 = tf.tensor1d([1, 0]);
      opt.apply(new Map([['w', g2]]), 1);
      const out = Array.from(await w.data());
      [gt, g2].forEach((t) => t.dispose());
      opt.dispose();
      w.dispose();
      return out;
    };
    const clipped = await run([3, 4], 1);
    const scaled = await run([0.6, 0.8], null);
    clipped.forEach((x, i) => expect(x).toBeCloseTo(scaled[i]!, 5));
  });

  it('restores its state exactly and leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const w = tf.tidy(() => tf.variable(tf.tensor1d([1, 2])));
    const opt = new AdamW([{ name: 'w', variable: w, decay: true }], { beta1: 0.9, beta2: 0.98, eps: 1e-9, weightDecay: 0.1, gradClipNorm: null });
    const g = tf.tensor1d([0.5, -0.5]);
    for (let i = 0; i < 3; i++) opt.apply(new Map([['w', g]]), 0.1);
    const saved = new Map<string, Float32Array>();
    for (const { key, tensor } of opt.state()) saved.set(key, (await tensor.data()) as Float32Array);
    const init = Array.from(await w.data());
    const w2 = tf.tidy(() => tf.variable(tf.tensor1d(init)));
    const opt2 = new AdamW([{ name: 'w', variable: w2, decay: true }], { beta1: 0.9, beta2: 0.98, eps: 1e-9, weightDecay: 0.1, gradClipNorm: null });
    opt2.restore(opt.step, saved);
    opt.apply(new Map([['w', g]]), 0.1);
    opt2.apply(new Map([['w', g]]), 0.1);
    expect(Array.from(await w2.data())).toEqual(Array.from(await w.data()));
    expect(() => opt2.restore(1, new Map())).toThrow('checkpoint has no optimizer state "adam.m/w"');
    [opt, opt2].forEach((o) => o.dispose());
    [w, w2, g].forEach((t) => t.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives a parameter with its own base rate that rate times the schedule factor', async () => {
    const run = async (param: { lr?: number }, lr: number, factor: number) => {
      const w = tf.tidy(() => tf.variable(tf.tensor1d([1, -1])));
      const opt = new AdamW([{ name: 'w', variable: w, decay: false, ...param }], { beta1: 0.9, beta2: 0.98, eps: 1e-9, weightDecay: 0, gradClipNorm: null });
      const g = tf.tensor1d([0.3, 0.1]);
      opt.apply(new Map([['w', g]]), lr, factor);
      const out = Array.from(await w.data());
      [w, g].forEach((t) => t.dispose());
      opt.dispose();
      return out;
    };
    // Run rate 0.05 at a quarter of its schedule; the parameter's own base 1e-3 -> 2.5e-4.
    const own = await run({ lr: 1e-3 }, 0.0125, 0.25);
    const direct = await run({}, 2.5e-4, 1);
    own.forEach((x, i) => expect(x).toBeCloseTo(direct[i]!, 7));
    expect(own[0]).not.toBeCloseTo((await run({}, 0.0125, 0.25))[0]!, 4);
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`updates each parameter in one fused kernel on ${backend}, as the tfjs composition does`, async () => {
      await selectBackend(backend);
      // Decay on one parameter, clipping on (global norm above the limit), four steps.
      const steps = (): Float32Array[] => {
        const a = tf.tidy(() => tf.variable(tf.tensor2d([[0.5, -1.25, 2], [0.1, 0.2, -0.3]])));
        const b = tf.tidy(() => tf.variable(tf.tensor1d([1, -1])));
        const opt = new AdamW([{ name: 'a', variable: a, decay: true }, { name: 'b', variable: b, decay: false }],
          { beta1: 0.9, beta2: 0.98, eps: 1e-9, weightDecay: 0.1, gradClipNorm: 0.5 });
        for (let t = 0; t < 4; t++) {
          const grads = new Map<string, tf.Tensor>([['a', tf.tensor2d([[0.3, -0.2, 0.1 * t], [0.5, 0.1, -0.4]])], ['b', tf.tensor1d([0.2 - 0.1 * t, 0.7])]]);
          const before = tf.engine().state.numTensors;
          opt.apply(grads, 0.01 * (t + 1));
          expect(tf.engine().state.numTensors).toBe(before);
          grads.forEach((g) => g.dispose());
        }
        const values = [a, b].map((w) => Float32Array.from(w.dataSync()));
        opt.dispose();
        [a, b].forEach((w) => w.dispose());
        return values;
      };
      const fused = steps();
      const config = tf.getKernel('LraAdamW', backend);
      expect(config).toBeDefined();
      tf.unregisterKernel('LraAdamW', backend);
      let composed: Float32Array[];
      try {
        composed = steps();
      } finally {
        tf.registerKernel(config!);
      }
      fused.forEach((values, i) => values.forEach((x, j) => expect(Math.abs(x - composed[i]![j]!)).toBeLessThanOrEqual(2e-7 * Math.max(1, Math.abs(composed[i]![j]!)))));
      // One kernel per parameter (and the clipping's norm): not a dozen.
      const w = tf.tidy(() => tf.variable(tf.tensor1d([1, 2, 3])));
      const opt = new AdamW([{ name: 'w', variable: w, decay: true }], { beta1: 0.9, beta2: 0.98, eps: 1e-9, weightDecay: 0.1, gradClipNorm: null });
      const g = tf.tensor1d([0.1, 0.2, 0.3]);
      const info = await tf.profile(() => opt.apply(new Map([['w', g]]), 0.1));
      expect(info.kernelNames.filter((name) => name !== 'Identity')).toEqual(['LraAdamW']);
      opt.dispose();
      [w, g].forEach((t) => t.dispose());
    });
  }
});
