// Inverted dropout as one kernel whose mask is a pure function of (seed, element index): element
// pair p gets one keyed 32-bit hash, whose low and high halves decide elements 2p and 2p+1
// (dropped when below rate 2^16). Nothing random is drawn in JavaScript, no mask is stored (the
// gradient regenerates it from the seed), and cpu and wasm give the same mask. It replaces
// randomUniform + greaterEqual + cast + two products: on wasm, at B 8, N 1024, 4 heads, drawing
// the [32, N, N] uniform alone took about 1 s of a 2.7 s training step.
import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap } from '@tensorflow/tfjs';
import { splitSeededDropout } from '../parallel/heap-pool.js';
import { heapMemoryOf } from '../simd/heap-simd.js';
import { dropoutSimdFor } from '../simd/simd-kernels.js';
import type { ArrayKernel } from './array-kernel.js';
import { SEEDED_DROPOUT_KERNEL, applySeededDropout, type SeededDropoutAttrs } from './seeded-dropout-mask.js';

export { SEEDED_DROPOUT_KERNEL, applySeededDropout, seededDropoutKeeps, seededDropoutMask, type SeededDropoutAttrs } from './seeded-dropout-mask.js';

export const seededDropoutKernel: ArrayKernel = {
  kernelName: SEEDED_DROPOUT_KERNEL,
  inputs: ['x'],
  outputShapes: ([x]) => [x!],
  compute([x], _shapes, [out], attrs: NamedAttrMap) {
    // Slices of a large mask on the heap's worker threads (wasm's threaded build), else here.
    const seeded = attrs as unknown as SeededDropoutAttrs;
    if (splitSeededDropout(x!, out!, seeded)) return;
    const memory = heapMemoryOf([x!, out!]);
    applySeededDropout(x!, out!, seeded, memory === undefined ? null : dropoutSimdFor(memory));
  },
};

/** The gradient of dropout is dropout of dy with the same mask, regenerated from the seed. */
export const seededDropoutGradient: tf.GradConfig = {
  kernelName: SEEDED_DROPOUT_KERNEL,
  gradFunc: (dy, _saved, attrs) => ({
    x: () => tf.engine().runKernel(SEEDED_DROPOUT_KERNEL, { x: dy as tf.Tensor }, attrs as NamedAttrMap) as tf.Tensor,
  }),
};
