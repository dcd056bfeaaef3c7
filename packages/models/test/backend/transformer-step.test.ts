import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectClose } from './numeric.js';
import { useBackend } from './on-backends.js';
import { TINY, makeBatch, makeVariables, tinyTransformerLoss } from './tiny-transformer.js';

/** Loss and every parameter's gradient of one step, as arrays. */
async function lossAndGradients(backend: 'wasm' | 'cpu'): Promise<{ loss: number; gradients: Record<string, Float32Array> }> {
  await useBackend(backend);
  const params = makeVariables(TINY);
  const batch = makeBatch(TINY);
  const { value, grads } = tf.variableGrads(() => tinyTransformerLoss(params, batch, TINY, 7));
  expect(tf.getBackend()).toBe(backend);
  const byName: Record<string, Float32Array> = {};
  for (const [name, variable] of Object.entries(params)) {
    byName[name] = Float32Array.from(grads[variable.name].dataSync());
  }
  const loss = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads), ...Object.values(params), ...Object.values(batch)]);
  return { loss, gradients: byName };
}

describe('a pre-LN transformer classifier on wasm', () => {
  it('gives the loss and every gradient of the cpu backend', async () => {
    const expected = await lossAndGradients('cpu');
    const actual = await lossAndGradients('wasm');
    expect(Math.abs(actual.loss - expected.loss) / Math.abs(expected.loss)).toBeLessThan(1e-5);
    expect(Object.keys(actual.gradients).sort()).toEqual(Object.keys(expected.gradients).sort());
    for (const [name, gradient] of Object.entries(expected.gradients)) {
      // A parameter whose gradient is all zeros would make the comparison vacuous.
      expect(gradient.some((g) => g !== 0), `${name} has a gradient`).toBe(true);
      expectClose(actual.gradients[name], gradient, 1e-4, name);
    }
  });

  it('keeps the tensor count flat over repeated Adam steps', async () => {
    await useBackend('wasm');
    const params = makeVariables(TINY);
    const batch = makeBatch(TINY);
    const optimizer = tf.train.adam(1e-3);
    const counts: number[] = [];
    const buffers: number[] = [];
    const losses: number[] = [];
    for (let step = 0; step < 5; step++) {
      const cost = optimizer.minimize(() => tinyTransformerLoss(params, batch, TINY, 100 + step), true, Object.values(params));
      losses.push(cost?.dataSync()[0] ?? Number.NaN);
      cost?.dispose();
      counts.push(tf.memory().numTensors);
      buffers.push(tf.backend().numDataIds());
    }
    // The first step creates Adam's moment estimates; after it nothing may accumulate.
    expect(counts.slice(1)).toEqual(new Array(4).fill(counts[0]));
    expect(buffers.slice(1)).toEqual(new Array(4).fill(buffers[0]));
    expect(losses.every(Number.isFinite)).toBe(true);
    optimizer.dispose();
    tf.dispose([...Object.values(params), ...Object.values(batch)]);
  });
});
