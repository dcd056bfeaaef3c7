import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerProjectKernels } from '../../src/backend/kernels.js';
import { quietTfjs } from '../../src/backend/quiet-tfjs.js';

/** Makes `name` the current backend, with the project's wasm kernels installed. */
export async function useBackend(name: 'wasm' | 'cpu'): Promise<void> {
  quietTfjs();
  registerProjectKernels('wasm');
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
}

/** Runs `compute` on a backend (build its inputs inside it, from arrays) and returns the values
 *  of its outputs; every tensor it made is disposed. */
export async function valuesOn(
  name: 'wasm' | 'cpu', compute: () => tf.Tensor | tf.Tensor[],
): Promise<Float32Array[]> {
  await useBackend(name);
  const outputs = tf.tidy(() => {
    const result = compute();
    return Array.isArray(result) ? result : [result];
  });
  const values = outputs.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(outputs);
  return values;
}
