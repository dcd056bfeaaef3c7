// The cases of scripts/fixtures/lra_attention_a.py (a numpy port of LRA's local, Linformer, linear
// and Performer code): their shape, their tensors, and their weights loaded into a mixer built in
// the scope 'mixer'.
import * as tf from '@tensorflow/tfjs';
import type { ParamStore } from '../../../src/nn/params.js';
import { loadWeights, readLraFixture } from './lra-fixture.js';

export interface LraCase {
  batch: number;
  length: number;
  dModel: number;
  heads: number;
  /** [B, N, D] and [B, N] (1 = real token), row-major. */
  x: number[];
  mask: number[];
  /** Flattened parameters by their names inside the mixer's scope. */
  weights: Record<string, number[]>;
  /** LRA's output [B, N, D] for x and mask. */
  expected: number[];
  [option: string]: unknown;
}

export function lraCases(mixer: 'local' | 'linformer' | 'linear' | 'performer'): LraCase[] {
  return readLraFixture<{ cases: LraCase[] }>(mixer).cases;
}

/** Loads the case's weights into the mixer's parameters, all of which it must name. */
export function loadCaseWeights(store: ParamStore, c: LraCase): void {
  loadWeights(store, Object.fromEntries(Object.entries(c.weights).map(([name, values]) => [`mixer/${name}`, values])));
}

export const caseInput = (c: LraCase): tf.Tensor3D => tf.tensor3d(Float32Array.from(c.x), [c.batch, c.length, c.dModel]);
export const caseMask = (c: LraCase): tf.Tensor2D => tf.tensor2d(Float32Array.from(c.mask), [c.batch, c.length]);
