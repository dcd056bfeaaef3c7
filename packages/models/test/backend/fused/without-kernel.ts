import * as tf from '@tensorflow/tfjs';

/** Runs `body` with `kernelName` unregistered on `backend`, so ops take their tfjs composition. */
export function withoutKernel<T>(kernelName: string, backend: string, body: () => T): T {
  const config = tf.getKernel(kernelName, backend);
  tf.unregisterKernel(kernelName, backend);
  try {
    return body();
  } finally {
    tf.registerKernel(config);
  }
}
