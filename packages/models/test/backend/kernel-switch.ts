import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig } from '@tensorflow/tfjs';
import { projectKernelNames } from '../../src/backend/kernels.js';
import { useBackend } from './on-backends.js';

/**
 * Starts wasm with the project's kernels and returns a switch between them and the backend's own
 * kernels they replace (the kernels wasm lacks stay in place either way). Call it before anything
 * else installs the project's kernels.
 */
export async function kernelSwitch(): Promise<(which: 'backend' | 'project') => void> {
  const replaced = projectKernelNames('wasm').filter((name) => tf.getKernel(name, 'wasm') !== undefined);
  const backendOwn: KernelConfig[] = replaced.map((name) => tf.getKernel(name, 'wasm'));
  await useBackend('wasm');
  const project: KernelConfig[] = replaced.map((name) => tf.getKernel(name, 'wasm'));
  return (which) => {
    for (const config of which === 'backend' ? backendOwn : project) {
      if (tf.getKernel(config.kernelName, 'wasm') === config) continue;
      tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel(config);
    }
  };
}
