// The checks s5 and lru share as mixers over a diagonal scan: the mask is taken and checked, padded
// positions change nothing real, and without the backward scan the output is causal at any length.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { inferenceContext } from '../../../src/nn/context.js';
import type { ParamStore } from '../../../src/nn/params.js';
import type { Mixer } from '../../../src/mixers/types.js';
import { maxAbsDiff } from '../attention-family.js';
import { seededUniform } from '../../support/random.js';

export interface ScanMixerCase {
  /** The mixer's name, as its errors start. */
  name: string;
  /** A mixer of width `channels`; `causal` leaves out the backward scan. */
  build(causal: boolean, seqLen?: number): { store: ParamStore; mixer: Mixer };
  batch: number;
  length: number;
  channels: number;
  /** [batch * length * channels] inputs and [batch * length] mask, with padding at positions 5 and 6 of the first row. */
  x: ArrayLike<number>;
  mask: Float32Array;
}

/**
 * The case both mixers' tests use: 2 rows of 7 positions and `channels` channels, inputs uniform in
 * [-1.5, 1.5] from `seed`, and the first row padded at positions 5 and 6.
 */
export function scanMixerCase(name: string, seed: string, channels: number, build: ScanMixerCase['build']): ScanMixerCase {
  const [batch, length] = [2, 7];
  return {
    name, build, batch, length, channels,
    x: seededUniform(seed, batch * length * channels, -1.5, 1.5),
    mask: Float32Array.from([1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1]),
  };
}

/** The case's inputs as tensors, and whether flat output index i lies at a real position. */
export function scanInputs(c: ScanMixerCase): { xTensor: () => tf.Tensor3D; maskTensor: () => tf.Tensor2D; realPosition: (i: number) => boolean } {
  const [B, N, H] = [c.batch, c.length, c.channels];
  return {
    xTensor: () => tf.tensor3d(Float32Array.from(c.x), [B, N, H]),
    maskTensor: () => tf.tensor2d(c.mask, [B, N]),
    realPosition: (i) => c.mask[Math.floor(i / H)] === 1,
  };
}

export function checkMaskAndPadding(c: ScanMixerCase): void {
  const [B, N, H] = [c.batch, c.length, c.channels];
  const { xTensor, maskTensor, realPosition } = scanInputs(c);
  const { store, mixer } = c.build(false);
  const y = mixer.apply(xTensor(), maskTensor(), inferenceContext());
  expect(y.shape).toEqual([B, N, H]);
  const changed = Float32Array.from(c.x);
  for (let t = 5; t < N; t++) for (let ch = 0; ch < H; ch++) changed[t * H + ch] = 40 * (ch + 1);
  const y2 = mixer.apply(tf.tensor3d(changed, [B, N, H]), maskTensor(), inferenceContext());
  expect(maxAbsDiff(y2.dataSync(), y.dataSync(), realPosition)).toBe(0);
  expect(() => mixer.apply(xTensor(), tf.ones([B, N + 1]) as tf.Tensor2D, inferenceContext())).toThrow(`${c.name}: mask shape [${B},${N + 1}] does not match input [${B}, ${N}]`);
  tf.dispose([y, y2]);
  store.dispose();
}

export function checkCausalAtAnyLength(c: ScanMixerCase): void {
  const [B, N, H] = [c.batch, c.length, c.channels];
  const { store, mixer } = c.build(true, 2001);
  const changed = Float32Array.from(c.x);
  for (let ch = 0; ch < H; ch++) changed[(N - 1) * H + ch] += 1;
  const a = mixer.apply(tf.tensor3d(Float32Array.from(c.x), [B, N, H]), null, inferenceContext()).dataSync();
  const b = mixer.apply(tf.tensor3d(changed, [B, N, H]), null, inferenceContext()).dataSync();
  expect(maxAbsDiff(a, b, (i) => Math.floor(i / H) % N < N - 1)).toBe(0);
  expect(maxAbsDiff(a, b)).toBeGreaterThan(1e-4);
  for (const length of [1, 3, 65, 2001]) {
    const y = tf.tidy(() => mixer.apply(tf.randomNormal([1, length, H], 0, 1, 'float32', 3), null, inferenceContext()));
    expect(y.shape).toEqual([1, length, H]);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    y.dispose();
  }
  store.dispose();
}
