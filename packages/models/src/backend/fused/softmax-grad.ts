// The gradient of softmax over the last axis in one pass per row: dx = y (dy - sum(dy y)).
// tfjs composes it from a product, a sum, a broadcast subtraction and another product, four
// passes over [B H, N, N] and three temporaries as large (on wasm, B 8, N 1024, 4 heads: about
// 300 ms of a training step; the broadcast Sub alone 160 ms).
// The kernel has a gradient of its own, so softmax can be differentiated twice (forward-mode
// products taken as a reverse pass through a reverse pass).
import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap } from '@tensorflow/tfjs';
import { splitSoftmaxGrad } from '../parallel/heap-pool.js';
import { heapMemoryOf } from '../simd/heap-simd.js';
import { softmaxGradSimdFor } from '../simd/simd-kernels.js';
import type { ArrayKernel } from './array-kernel.js';
import { softmaxGradRows } from './softmax-grad-rows.js';
import { forwardIsNested, gradientIsRecorded } from './higher-order.js';

export const SOFTMAX_GRAD_KERNEL = 'LraSoftmaxGrad';

export { softmaxGradRows } from './softmax-grad-rows.js';

export const softmaxGradKernel: ArrayKernel = {
  kernelName: SOFTMAX_GRAD_KERNEL,
  inputs: ['dy', 'y'],
  outputShapes([dy, y]) {
    if (dy!.length === 0 || dy!.join() !== y!.join()) {
      throw new Error(`${SOFTMAX_GRAD_KERNEL}: dy [${dy!.join(', ')}] and y [${y!.join(', ')}] must have one shape of rank >= 1`);
    }
    return [dy!];
  },
  compute([dy, y], [shape], [dx], _attrs: NamedAttrMap) {
    const n = shape![shape!.length - 1]!;
    const rows = n === 0 ? 0 : dy!.length / n;
    if (splitSoftmaxGrad(dy!, y!, rows, n, dx!)) return;
    const memory = heapMemoryOf([dy!, y!, dx!]);
    const simd = memory === undefined ? null : softmaxGradSimdFor(memory, n);
    if (simd === null) softmaxGradRows(dy!, y!, rows, n, dx!);
    else simd.softmaxGrad(dy!.byteOffset, y!.byteOffset, dx!.byteOffset, rows, n);
  },
};

/**
 * Softmax's gradient through the fused kernel where the backend has it, else the same formula
 * in tfjs ops (tfjs-core's own gradient). Softmax only ever runs over the last axis.
 * Inside a gradient of a gradient it also keeps the logits, to recompute y on the tape: the
 * saved y would look constant there (see higher-order.ts). Training keeps only y.
 */
export const softmaxGradient: tf.GradConfig = {
  kernelName: tf.Softmax,
  // Read by tfjs when the forward kernel runs.
  get inputsToSave(): string[] {
    return forwardIsNested() ? ['logits'] : [];
  },
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const logits = saved.length === 2 ? saved[0]! : null;
    const savedY = saved[saved.length - 1]!;
    const gradient = dy as tf.Tensor;
    return {
      logits: () => {
        const y = logits !== null && gradientIsRecorded() ? tf.softmax(logits) : savedY;
        if (tf.getKernel(SOFTMAX_GRAD_KERNEL, tf.getBackend()) !== undefined) {
          return tf.engine().runKernel(SOFTMAX_GRAD_KERNEL, { dy: gradient, y }, {}) as tf.Tensor;
        }
        const dyTimesY = tf.mul(gradient, y);
        return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, -1, true), y));
      },
    };
  },
};

/**
 * The kernel's own gradient, for second derivatives of softmax. dx = y (dy - s), s = sum(dy y), is
 * dy times the symmetric matrix diag(y) - y y^T, so the dy part is the kernel applied to g;
 * for y, d dx_j / d y_k = [j = k] (dy_j - s) - y_j dy_k, giving g (dy - s) - dy sum(g y).
 */
export const softmaxGradGradient: tf.GradConfig = {
  kernelName: SOFTMAX_GRAD_KERNEL,
  inputsToSave: ['dy', 'y'],
  gradFunc: (upstream, saved) => {
    const [dy, y] = saved as [tf.Tensor, tf.Tensor];
    const g = upstream as tf.Tensor;
    return {
      dy: () => tf.engine().runKernel(SOFTMAX_GRAD_KERNEL, { dy: g, y }, {}) as tf.Tensor,
      y: () => {
        const s = tf.sum(tf.mul(dy, y), -1, true);
        return tf.sub(tf.mul(g, tf.sub(dy, s)), tf.mul(dy, tf.sum(tf.mul(g, y), -1, true)));
      },
    };
  },
};
