// Runs a mixer on a case of the numpy port of LRA's code (scripts/fixtures/lra_new_mixers.py):
// the case's weights, by our parameter names, replace the mixer's initial ones, and the output on
// the case's input and padding mask is compared with numpy's.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { inferenceContext } from '../../../src/nn/context.js';
import { ParamStore } from '../../../src/nn/params.js';
import type { MixerSpec } from '../../../src/mixers/types.js';

export interface LraFixtureCase {
  name: string;
  options: Record<string, unknown>;
  hasCls: boolean;
  batch: number;
  length: number;
  /** The length the mixer is built for (>= length where the mixer takes shorter inputs). */
  seqLen: number;
  dModel: number;
  heads: number;
  weights: Record<string, { shape: number[]; values: number[] }>;
  x: number[];
  mask: number[];
  expected: number[];
}

export function lraFixtureCases(mixer: string): LraFixtureCase[] {
  const url = new URL(`../../fixtures/mixers/lra-${mixer}.json`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: LraFixtureCase[] }).cases;
}

/** The mixer of a case on a fresh store, its parameters set to the case's weights. */
export function buildFromCase<O extends object>(spec: MixerSpec<O>, c: LraFixtureCase, attentionDropout = 0) {
  const store = new ParamStore(7);
  const args = { dModel: c.dModel, heads: c.heads, seqLen: c.seqLen, dropout: 0, attentionDropout, params: store.scope('mixer'), layer: 0, hasCls: c.hasCls };
  const options = { ...spec.defaults, ...c.options } as O;
  expect(spec.validate?.(args, options) ?? null).toBeNull();
  const mixer = spec.create(args, options);
  // Every parameter comes from the case, so none is left unchecked.
  expect(store.variables().map((p) => p.name).sort()).toEqual(Object.keys(c.weights).sort());
  for (const [name, { shape, values }] of Object.entries(c.weights)) {
    expect(store.get(name).shape, name).toEqual(shape);
    tf.tidy(() => store.get(name).assign(tf.tensor(Float32Array.from(values), shape)));
  }
  return { store, mixer };
}

export const caseInput = (c: LraFixtureCase): tf.Tensor3D => tf.tensor3d(Float32Array.from(c.x), [c.batch, c.length, c.dModel]);
export const caseMask = (c: LraFixtureCase): tf.Tensor2D => tf.tensor2d(Float32Array.from(c.mask), [c.batch, c.length]);

/** Largest |mixer output - numpy's| on the case (every position, padded ones included). */
export function fixtureError<O extends object>(spec: MixerSpec<O>, c: LraFixtureCase): number {
  const { store, mixer } = buildFromCase(spec, c);
  const y = tf.tidy(() => mixer.apply(caseInput(c), caseMask(c), inferenceContext()).dataSync());
  store.dispose();
  expect(y.length).toBe(c.expected.length);
  let worst = 0;
  for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i]! - c.expected[i]!));
  return worst;
}
