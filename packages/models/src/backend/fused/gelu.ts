// Exact GELU, x Phi(x), and its gradient Phi(x) + x phi(x), one pass each. tfjs composes the
// forward from four element-wise kernels and its backward from seven (erf's gradient alone is an
// exp, a square, two products and a negation), each a pass over [B, N, FF].
// cpu: one JavaScript pass (fastExp: Math.exp alone costs more per element than wasm's whole Exp
// pass). wasm: the project's SIMD module (../simd/gelu.wat) on the backend's heap, split over the
// heap's threads; tfjs's own Erf and Exp run on one thread whatever the pool, and one JavaScript
// pass is slower than them (over [8, 4096, 128]: about 29 ms each for wasm's Erf and Exp, 60-66 ms
// for one JavaScript pass).
// The gradient kernel has a gradient of its own (in tfjs ops), so GELU can be differentiated twice.
import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap } from '@tensorflow/tfjs';
import { splitGelu } from '../parallel/heap-pool.js';
import { heapMemoryOf } from '../simd/heap-simd.js';
import { geluSimdFor, type GeluSimd } from '../simd/simd-kernels.js';
import type { ArrayKernel } from './array-kernel.js';
import { fastExp } from './fast-exp.js';

export const GELU_KERNEL = 'LraGelu';
export const GELU_GRAD_KERNEL = 'LraGeluGrad';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

// Abramowitz and Stegun 7.1.26, as tfjs's own Erf kernels use it: |error| < 1.5e-7, below
// float32 resolution of Phi's values.
const P = 0.3275911;
const A1 = 0.254829592;
const A2 = -0.284496736;
const A3 = 1.421413741;
const A4 = -1.453152027;
const A5 = 1.061405429;

/** Phi(x) = (1 + erf(x / sqrt 2)) / 2, given g = exp(-x^2 / 2). */
function normalCdf(x: number, g: number): number {
  const z = Math.abs(x) * Math.SQRT1_2;
  const t = 1 / (1 + P * z);
  const erf = 1 - ((((A5 * t + A4) * t + A3) * t + A2) * t + A1) * t * g;
  return 0.5 * (1 + (x < 0 ? -erf : erf));
}

export function geluValues(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    y[i] = v * normalCdf(v, fastExp(-0.5 * v * v));
  }
}

export function geluGradValues(dy: Float32Array, x: Float32Array, dx: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const g = fastExp(-0.5 * v * v);
    dx[i] = dy[i]! * (normalCdf(v, g) + v * g * INV_SQRT_2PI);
  }
}

function sameShape(kernelName: string, a: number[], b: number[]): void {
  if (a.join() !== b.join()) throw new Error(`${kernelName}: shapes [${a.join(', ')}] and [${b.join(', ')}] differ`);
}

const BACKENDS = ['cpu', 'wasm'];

/** The SIMD kernels, where `arrays` are views of the wasm backend's heap (else null: cpu, or no SIMD). */
function simdOver(arrays: readonly Float32Array[]): GeluSimd | null {
  const memory = heapMemoryOf(arrays);
  return memory === undefined ? null : geluSimdFor(memory);
}

export const geluKernel: ArrayKernel = {
  kernelName: GELU_KERNEL,
  backends: BACKENDS,
  inputs: ['x'],
  outputShapes: ([x]) => [x!],
  compute([x], _shapes, [y], _attrs: NamedAttrMap) {
    const simd = simdOver([x!, y!]);
    if (simd === null) geluValues(x!, y!);
    else if (!splitGelu([x!], y!)) simd.gelu(x!.byteOffset, y!.byteOffset, y!.length);
  },
};

export const geluGradKernel: ArrayKernel = {
  kernelName: GELU_GRAD_KERNEL,
  backends: BACKENDS,
  inputs: ['dy', 'x'],
  outputShapes([dy, x]) {
    sameShape(GELU_GRAD_KERNEL, dy!, x!);
    return [x!];
  },
  compute([dy, x], _shapes, [dx], _attrs: NamedAttrMap) {
    const simd = simdOver([dy!, x!, dx!]);
    if (simd === null) geluGradValues(dy!, x!, dx!);
    else if (!splitGelu([dy!, x!], dx!)) simd.geluGrad(dy!.byteOffset, x!.byteOffset, dx!.byteOffset, dx!.length);
  },
};

export const geluGradient: tf.GradConfig = {
  kernelName: GELU_KERNEL,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [tf.Tensor];
    return { x: () => tf.engine().runKernel(GELU_GRAD_KERNEL, { dy: dy as tf.Tensor, x }, {}) as tf.Tensor };
  },
};

/**
 * The gradient kernel's own gradient: dx = dy (Phi(x) + x phi(x)) is linear in dy, and
 * d/dx (Phi + x phi) = 2 phi + x phi' = phi(x) (2 - x^2).
 */
export const geluGradGradient: tf.GradConfig = {
  kernelName: GELU_GRAD_KERNEL,
  inputsToSave: ['dy', 'x'],
  gradFunc: (upstream, saved) => {
    const [dy, x] = saved as [tf.Tensor, tf.Tensor];
    const g = upstream as tf.Tensor;
    return {
      dy: () => tf.engine().runKernel(GELU_GRAD_KERNEL, { dy: g, x }, {}) as tf.Tensor,
      x: () => {
        const square = tf.square(x);
        const density = tf.mul(tf.exp(tf.mul(square, -0.5)), INV_SQRT_2PI);
        return tf.mul(tf.mul(g, dy), tf.mul(density, tf.sub(2, square)));
      },
    };
  },
};
