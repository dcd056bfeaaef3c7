import * as tf from '@tensorflow/tfjs';
import type { KernelConfig } from '@tensorflow/tfjs';
import { registerFusedKernels } from './fused/register.js';
import { batchMatMulConfig } from './wasm/batch-mat-mul.js';
import { addConfig, multiplyConfig, realDivConfig, subConfig } from './wasm/binary.js';
import { conv2DBackpropFilterConfig } from './wasm/conv2d-backprop-filter.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './wasm/depthwise-conv2d-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './wasm/depthwise-conv2d-backprop-input.js';
import { fusedMatMulConfig } from './wasm/fused-mat-mul.js';
import { gatherV2Config } from './wasm/gather.js';
import { identityConfig } from './wasm/identity.js';
import { meanConfig, sumConfig } from './wasm/reduce.js';
import { rememberBackendKernel } from './wasm/backend-own.js';
import { tileConfig } from './wasm/tile.js';
import { transposeConfig } from './wasm/transpose.js';
import { unsortedSegmentSumConfig } from './wasm/unsorted-segment-sum.js';

/**
 * Kernels the project supplies, per tfjs backend: the ones a backend lacks for training and the
 * ones it has but runs far too slowly. Each replaces whatever that backend registered under the
 * same name.
 */
const PROJECT_KERNELS: Readonly<Record<string, readonly KernelConfig[]>> = {
  wasm: [
    batchMatMulConfig,
    fusedMatMulConfig,
    identityConfig,
    transposeConfig,
    unsortedSegmentSumConfig,
    conv2DBackpropFilterConfig,
    depthwiseConv2dNativeBackpropFilterConfig,
    depthwiseConv2dNativeBackpropInputConfig,
    gatherV2Config,
    sumConfig,
    meanConfig,
    addConfig,
    subConfig,
    multiplyConfig,
    realDivConfig,
    tileConfig,
  ],
};

/** Names of the kernels registerProjectKernels installs for a tfjs backend. */
export function projectKernelNames(backend: string): string[] {
  return (PROJECT_KERNELS[backend] ?? []).map((config) => config.kernelName);
}

/**
 * Registers the project's kernels for a tfjs backend ('wasm', ...), and the fused kernels (cpu and
 * wasm) with their gradients; a backend that needs none is left as it is. Safe to call any number of times, before or after the backend initialises.
 */
export function registerProjectKernels(backend: string): void {
  registerFusedKernels();
  for (const config of PROJECT_KERNELS[backend] ?? []) {
    const current = tf.getKernel(config.kernelName, backend) as KernelConfig | undefined;
    if (current?.kernelFunc === config.kernelFunc) continue;
    const replacement: KernelConfig = { ...config };
    // A replaced kernel keeps its setup: the backend's other kernels call into the replaced one's
    // module (wasm reductions use its Transpose), which binds its C++ functions at setup.
    if (current?.setupFunc !== undefined) replacement.setupFunc = current.setupFunc;
    if (current?.disposeFunc !== undefined) replacement.disposeFunc = current.disposeFunc;
    if (current !== undefined) {
      // Kept for the cases the replacement hands back to it.
      if (backend === 'wasm') rememberBackendKernel(current);
      tf.unregisterKernel(config.kernelName, backend);
    }
    tf.registerKernel(replacement);
  }
}
