// Reading the numpy references of the LRA variants (scripts/fixtures/lra_attention_b.py): the
// JSON files, and loading their weights into a mixer's parameters by name.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { ParamStore } from '../../../src/nn/params.js';

export function readLraFixture<T>(mixer: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/mixers/lra-${mixer}.json`, import.meta.url), 'utf8')) as T;
}

/** Assigns every fixture weight to the store's parameter of that name; every parameter must be given. */
export function loadWeights(store: ParamStore, params: Record<string, number[]>): void {
  const names = store.variables().map((p) => p.name).sort();
  if (JSON.stringify(names) !== JSON.stringify(Object.keys(params).sort())) {
    throw new Error(`fixture weights ${Object.keys(params).sort().join(', ')} do not match the mixer's ${names.join(', ')}`);
  }
  for (const [name, values] of Object.entries(params)) {
    const variable = store.get(name);
    tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
  }
}

/** Largest |a - b|. */
export function maxAbsError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}
