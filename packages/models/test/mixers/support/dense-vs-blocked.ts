// Runs one mixer in two implementations (dense and blocked) on the same parameters and data, and
// compares outputs and gradients (by the input and by every parameter).
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import type { ForwardContext } from '../../../src/nn/context.js';
import { ParamStore } from '../../../src/nn/params.js';
import type { Mixer, MixerSpec } from '../../../src/mixers/types.js';
import { seededUniform } from '../../support/random.js';

export interface Shape {
  batch: number;
  length: number;
  dModel: number;
  heads: number;
}

/** A mixer on a fresh store: two stores of one seed hold the same parameters. */
export function buildOn<O extends object>(spec: MixerSpec<O>, shape: Shape, options: Partial<O>, attentionDropout: number): { store: ParamStore; mixer: Mixer } {
  const store = new ParamStore(23);
  const mixer = spec.create(
    { dModel: shape.dModel, heads: shape.heads, seqLen: shape.length, dropout: 0, attentionDropout, params: store.scope('mixer'), layer: 0, seed: 5 },
    { ...spec.defaults, ...options },
  );
  return { store, mixer };
}

/** Mask [B, N]: example 0 loses its last third, example 1 (when there) is all padding, the rest real. */
export function maskValues(shape: Shape): Float32Array {
  const { batch, length } = shape;
  const mask = new Float32Array(batch * length).fill(1);
  mask.fill(0, length - Math.floor(length / 3), length);
  if (batch > 1) mask.fill(0, length, 2 * length);
  return mask;
}

export interface Result {
  y: Float32Array;
  /** Gradients of sum(y * w) by the input and by each parameter, by name. */
  grads: Record<string, Float32Array>;
}

/** Output and gradients of a mixer on seeded data, everything it made disposed. */
export function runMixer(mixer: Mixer, store: ParamStore, shape: Shape, ctx: () => ForwardContext, masked: boolean): Result {
  const { batch, length, dModel } = shape;
  return tf.tidy(() => {
    const x = tf.tensor3d(Float32Array.from(seededUniform('blocked-x', batch * length * dModel, -1.5, 1.5)), [batch, length, dModel]);
    const mask = masked ? tf.tensor2d(maskValues(shape), [batch, length]) : null;
    const weights = tf.tensor3d(Float32Array.from(seededUniform('blocked-w', batch * length * dModel)), [batch, length, dModel]);
    const y = mixer.apply(x, mask, ctx()).dataSync() as Float32Array;
    const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(mixer.apply(input as tf.Tensor3D, mask, ctx()), weights));
    const dx = tf.grad(loss)(x).dataSync() as Float32Array;
    const { grads } = tf.variableGrads(() => loss(x));
    const named: Record<string, Float32Array> = { input: dx };
    for (const { name, variable } of store.variables()) named[name] = grads[variable.name]!.dataSync() as Float32Array;
    return { y: Float32Array.from(y), grads: named };
  });
}

/** Largest |a - b| relative to the largest |b| (at least 1). */
export function relativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return worst / scale;
}

export function expectSame(blocked: Result, dense: Result, tolerance = 1e-5): void {
  expect(relativeDiff(blocked.y, dense.y), 'output').toBeLessThan(tolerance);
  expect(Object.keys(blocked.grads).sort()).toEqual(Object.keys(dense.grads).sort());
  for (const name of Object.keys(dense.grads)) {
    expect(relativeDiff(blocked.grads[name]!, dense.grads[name]!), name).toBeLessThan(tolerance);
  }
}

export interface Case<O extends object> {
  name: string;
  shape: Shape;
  options: Partial<O>;
  dropout: number;
  masked: boolean;
  ctx: () => ForwardContext;
}

/** The mixer with options.implementation `other` ('blocked', or attention's 'fused') gives what 'dense' gives. */
export function compareImplementations<O extends { implementation: string }>(spec: MixerSpec<O>, c: Case<O>, other = 'blocked'): void {
  const dense = buildOn(spec, c.shape, { ...c.options, implementation: 'dense' }, c.dropout);
  const blocked = buildOn(spec, c.shape, { ...c.options, implementation: other }, c.dropout);
  const expected = runMixer(dense.mixer, dense.store, c.shape, c.ctx, c.masked);
  const actual = runMixer(blocked.mixer, blocked.store, c.shape, c.ctx, c.masked);
  // Guards against comparing two runs that both ignore their input.
  expect(relativeDiff(expected.y, new Float32Array(expected.y.length))).toBeGreaterThan(1e-3);
  expectSame(actual, expected);
  dense.store.dispose();
  blocked.store.dispose();
}
