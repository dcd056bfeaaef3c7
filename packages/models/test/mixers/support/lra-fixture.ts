// Fixtures of LRA's own attention code (scripts/fixtures/lra_attention_a.py, a numpy port of the
// Flax sources): the cases of one mixer, and loading a case's weights into a mixer's parameters.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { ParamStore } from '../../../src/nn/params.js';

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
  const url = new URL(`../../fixtures/mixers/lra-${mixer}.json`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: LraCase[] }).cases;
}

/** Assigns every weight of the case to `<scope>/<name>`; throws when a shape's size differs. */
export function loadLraWeights(store: ParamStore, scope: string, c: LraCase): void {
  for (const [name, values] of Object.entries(c.weights)) {
    const variable = store.get(`${scope}/${name}`);
    if (variable.size !== values.length) {
      throw new Error(`${name}: ${values.length} fixture values for a parameter of shape [${variable.shape}]`);
    }
    tf.tidy(() => variable.assign(tf.tensor(Float32Array.from(values), variable.shape)));
  }
}

export const caseInput = (c: LraCase): tf.Tensor3D => tf.tensor3d(Float32Array.from(c.x), [c.batch, c.length, c.dModel]);
export const caseMask = (c: LraCase): tf.Tensor2D => tf.tensor2d(Float32Array.from(c.mask), [c.batch, c.length]);

/** max |a - b| over all elements. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}
