// Checks every mixer ported from LRA's code gets, on one case of its numpy fixture: gradients by
// finite differences, no tensor left behind, and dropout in training only. Each mixer's own test
// file calls these next to the checks of what is particular to it.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { inferenceContext, trainingContext } from '../../../src/nn/context.js';
import type { MixerSpec } from '../../../src/mixers/types.js';
import { assertGradcheck } from '../../support/gradcheck.js';
import { seededUniform } from '../../support/random.js';
import { tensorsLeaked } from './leaks.js';
import { buildFromCase, caseInput, caseMask, type LraFixtureCase } from './lra-code-fixture.js';
import { paramGradcheck } from './param-gradcheck.js';

/**
 * sum(y * w) with w zero on padded positions: LRA's padded queries average every value with
 * scores that float32 rounds to -1e10, where finite differences see no slope but the chain rule
 * does, so only real positions' outputs enter the loss.
 */
function realPositionsLoss(c: LraFixtureCase): { weights: tf.Tensor3D; loss: (y: tf.Tensor3D) => tf.Scalar } {
  const w = Float32Array.from(seededUniform(`lra-${c.name}-w`, c.batch * c.length * c.dModel), (v, i) => (c.mask[Math.floor(i / c.dModel)] === 1 ? v : 0));
  const weights = tf.tensor3d(w, [c.batch, c.length, c.dModel]);
  return { weights, loss: (y) => tf.sum(tf.mul(y, weights)) };
}

/**
 * Gradients by the input and by every parameter agree with central differences of tfjs's own
 * loss; with `masked` false the case runs without its padding mask.
 */
export function expectGradientsMatch<O extends object>(spec: MixerSpec<O>, c: LraFixtureCase, masked = true): void {
  const { store, mixer } = buildFromCase(spec, c);
  const { weights, loss } = realPositionsLoss(masked ? c : { ...c, mask: c.mask.map(() => 1) });
  const mask = masked ? caseMask(c) : null;
  const f = (x: tf.Tensor): tf.Scalar => loss(mixer.apply(x as tf.Tensor3D, mask, inferenceContext()));
  const x = caseInput(c);
  assertGradcheck(f, [x], { eps: 1e-2, atol: 2e-3, rtol: 2e-2 });
  expect(paramGradcheck(store, () => f(x))).toEqual([]);
  tf.dispose([weights, x, ...(mask ? [mask] : [])]);
  store.dispose();
}

export function expectNoLeaks<O extends object>(spec: MixerSpec<O>, c: LraFixtureCase, shortInput?: number): void {
  const { store, mixer } = buildFromCase(spec, c, 0.1);
  const x = caseInput(c);
  const mask = caseMask(c);
  expect(tensorsLeaked(mixer, x, mask, { context: (i) => trainingContext(1, i), ...(shortInput ? { shortInput } : {}) })).toBe(0);
  tf.dispose([x, mask]);
  store.dispose();
}

export function expectDropoutInTrainingOnly<O extends object>(spec: MixerSpec<O>, c: LraFixtureCase): void {
  const { store, mixer } = buildFromCase(spec, c, 0.5);
  const run = (training: boolean): Float32Array =>
    tf.tidy(() => mixer.apply(caseInput(c), caseMask(c), training ? trainingContext(2, 1) : inferenceContext()).dataSync() as Float32Array);
  const evaluation = run(false);
  let worst = 0;
  for (let i = 0; i < evaluation.length; i++) worst = Math.max(worst, Math.abs(evaluation[i]! - c.expected[i]!));
  expect(worst).toBeLessThan(1e-5);
  const training = run(true);
  expect(Math.max(...training.map((v, i) => Math.abs(v - evaluation[i]!)))).toBeGreaterThan(1e-3);
  store.dispose();
}

/**
 * Output on the case's input with only the padded positions' vectors replaced, minus the output
 * on the case's input: the largest change at a real position.
 */
export function realChangeWhenPaddingChanges<O extends object>(spec: MixerSpec<O>, c: LraFixtureCase): number {
  const { store, mixer } = buildFromCase(spec, c);
  const changed = Float32Array.from(c.x, (v, i) => (c.mask[Math.floor(i / c.dModel)] === 1 ? v : 5 * Math.sin(i)));
  const [a, b] = tf.tidy(() => [
    mixer.apply(caseInput(c), caseMask(c), inferenceContext()).dataSync(),
    mixer.apply(tf.tensor3d(changed, [c.batch, c.length, c.dModel]), caseMask(c), inferenceContext()).dataSync(),
  ]);
  store.dispose();
  let worst = 0;
  for (let i = 0; i < a!.length; i++) if (c.mask[Math.floor(i / c.dModel)] === 1) worst = Math.max(worst, Math.abs(a![i]! - b![i]!));
  return worst;
}

/** Output shape and finiteness without a mask, and a mask of ones equals no mask. */
export function expectShapesWithoutMask<O extends object>(spec: MixerSpec<O>, c: LraFixtureCase): void {
  const { store, mixer } = buildFromCase(spec, c);
  const [plain, ones] = tf.tidy(() => {
    const x = caseInput(c);
    const y = mixer.apply(x, null, inferenceContext());
    expect(y.shape).toEqual([c.batch, c.length, c.dModel]);
    return [y.dataSync(), mixer.apply(x, tf.ones([c.batch, c.length]) as tf.Tensor2D, inferenceContext()).dataSync()];
  });
  expect(Array.from(plain!).every(Number.isFinite)).toBe(true);
  expect(Array.from(ones!)).toEqual(Array.from(plain!));
  store.dispose();
}
