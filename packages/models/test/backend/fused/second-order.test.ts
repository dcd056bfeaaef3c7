import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { GELU_GRAD_KERNEL, GELU_KERNEL } from '../../../src/backend/fused/gelu.js';
import { LAYER_NORM_GRAD_KERNEL, LAYER_NORM_KERNEL } from '../../../src/backend/fused/layer-norm.js';
import { registerFusedKernels } from '../../../src/backend/fused/register.js';
import { SEEDED_DROPOUT_KERNEL } from '../../../src/backend/fused/seeded-dropout.js';
import { SOFTMAX_GRAD_KERNEL } from '../../../src/backend/fused/softmax-grad.js';
import { expectClose, normalArray } from '../numeric.js';
import { useBackend } from '../on-backends.js';
import { withoutKernel } from './without-kernel.js';

registerFusedKernels();

interface Operand {
  values: Float32Array;
  shape: number[];
}

type Op = (...inputs: tf.Tensor[]) => tf.Tensor;

/** The gradients of F = sum(w op(inputs)) with respect to every input. */
type FirstGradients = (inputs: tf.Tensor[], w: tf.Tensor) => tf.Tensor[];

const operand = (seed: string, shape: number[], scale = 1, offset = 0): Operand => ({
  values: normalArray(seed, shape.reduce((a, b) => a * b, 1), scale).map((v) => v + offset),
  shape,
});

const tensorOf = ({ values, shape }: Operand): tf.Tensor => tf.tensor(values, shape);

const shifted = (a: Operand, direction: Operand, step: number): Operand => ({
  values: a.values.map((v, i) => v + step * direction.values[i]!),
  shape: a.shape,
});

/** First gradients as tfjs takes them, through op's registered gradients. */
const viaTfjs = (op: Op): FirstGradients => (inputs, w) => tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(op(...xs), w)))(inputs);

/**
 * The gradient of sum_i <first gradient_i, v_i> with respect to every input and w: the Hessian
 * of F applied to v for the inputs, and op's forward-mode product along v for w (the
 * double-backward product the exact Jacobians use).
 */
function secondOrder(firstGradients: FirstGradients, inputs: Operand[], w: Operand, directions: Operand[]): Float32Array[] {
  return tf.tidy(() => {
    const v = directions.map(tensorOf);
    const all = [...inputs.map(tensorOf), tensorOf(w)];
    // Inputs the first gradients do not depend on (bias, dropout's x) get no gradient: zero.
    const { grads } = tf.engine().gradients(() => {
      const first = firstGradients(all.slice(0, -1), all[all.length - 1]!);
      return tf.addN(first.map((g, i) => tf.sum(tf.mul(g, v[i]!))));
    }, all, undefined, true);
    return all.map((t, k) => Float32Array.from((grads[k] ?? tf.zerosLike(t)).dataSync()));
  });
}

/** Central differences in float32 along v: of the first gradients, then of op's output. */
function centralDifferences(op: Op, inputs: Operand[], w: Operand, directions: Operand[], step: number): Float64Array[] {
  const at = (sign: number): Float32Array[] => tf.tidy(() => {
    const xs = inputs.map((a, i) => tensorOf(shifted(a, directions[i]!, sign * step)));
    const out = [...viaTfjs(op)(xs, tensorOf(w)), op(...xs)];
    return out.map((t) => Float32Array.from(t.dataSync()));
  });
  const [up, down] = [at(1), at(-1)];
  return up.map((u, k) => Float64Array.from(u, (value, i) => (value - down[k]![i]!) / (2 * step)));
}

/**
 * Checks second derivatives through the fused op against those of the unfused first gradients
 * (plain tfjs ops, differentiated once more by tfjs), and against central differences.
 */
function checkSecondOrder(
  label: string, fused: Op, composed: FirstGradients, inputs: Operand[], w: Operand, directions: Operand[],
  tolerance: { composed: number; difference: number; step: number },
): void {
  const before = tf.memory().numTensors;
  const exact = secondOrder(viaTfjs(fused), inputs, w, directions);
  const reference = secondOrder(composed, inputs, w, directions);
  const numeric = centralDifferences(fused, inputs, w, directions, tolerance.step);
  expect(tf.memory().numTensors, `${label} leaks`).toBe(before);
  exact.forEach((values, k) => {
    expectClose(values, reference[k]!, tolerance.composed, `${label} input ${k} vs composed`);
    expectClose(values, numeric[k]!, tolerance.difference, `${label} input ${k} vs central differences`);
  });
}

/**
 * Softmax's first gradient y (w - sum(w y)) written out, y from exp and a sum. (Differentiating
 * a composed softmax twice would not do: tfjs's Exp gradient uses its saved output, which looks
 * constant in x to a second derivative.)
 */
const composedSoftmaxGradient: FirstGradients = ([x], w) => {
  const e = tf.exp(x!);
  const y = tf.div(e, tf.sum(e, -1, true));
  return [tf.mul(y, tf.sub(w, tf.sum(tf.mul(w, y), -1, true)))];
};

const EPS = 1e-5;

function fusedLayerNorm(x: tf.Tensor, scale: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  return (tf.engine().runKernel(LAYER_NORM_KERNEL, { x, scale, bias }, { eps: EPS }) as tf.Tensor[])[0]!;
}

/** Layer norm and its row statistics, in tfjs ops. */
function composedLayerNormParts(x: tf.Tensor, scale: tf.Tensor, bias: tf.Tensor): { y: tf.Tensor; mean: tf.Tensor; rstd: tf.Tensor } {
  const { mean, variance } = tf.moments(x, -1, true);
  const rstd = tf.rsqrt(tf.add(variance, EPS));
  const y = tf.add(tf.mul(tf.mul(tf.sub(x, mean), rstd), scale), bias);
  return { y, mean: tf.squeeze(mean, [x.rank - 1]), rstd: tf.squeeze(rstd, [x.rank - 1]) };
}

const composedGelu = (x: tf.Tensor): tf.Tensor => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));

const DROPOUT = { rate: 0.3, seed: 41 };

const fusedDropout = (x: tf.Tensor): tf.Tensor => tf.engine().runKernel(SEEDED_DROPOUT_KERNEL, { x }, { ...DROPOUT }) as tf.Tensor;

/** Dropout as a product with the kernel's own mask (the kernel applied to ones). */
function composedDropout(x: tf.Tensor): tf.Tensor {
  const mask = tf.tidy(() => fusedDropout(tf.onesLike(x)).dataSync() as Float32Array);
  return tf.mul(x, tf.tensor(mask, x.shape));
}

/**
 * Every partial derivative of sum_k <outputs_k, weights_k> of one kernel call, against central
 * differences of the kernel itself element by element (float32 outputs summed in float64).
 */
function checkKernelPartials(
  kernelName: string, inputs: Record<string, Operand>, weights: Operand[], step: number, tolerance: number,
): void {
  const names = Object.keys(inputs);
  const weighted = (values: Record<string, Operand>): number => tf.tidy(() => {
    const tensors = Object.fromEntries(names.map((n) => [n, tensorOf(values[n]!)]));
    const out = tf.engine().runKernel(kernelName, tensors, {}) as tf.Tensor | tf.Tensor[];
    const outputs = Array.isArray(out) ? out : [out];
    let total = 0;
    outputs.forEach((t, k) => t.dataSync().forEach((v, i) => (total += v * weights[k]!.values[i]!)));
    return total;
  });
  const analytic = tf.tidy(() => tf.grads((...xs: tf.Tensor[]) => {
    const out = tf.engine().runKernel(kernelName, Object.fromEntries(names.map((n, i) => [n, xs[i]!])), {}) as tf.Tensor | tf.Tensor[];
    const outputs = Array.isArray(out) ? out : [out];
    return tf.addN(outputs.map((t, k) => tf.sum(tf.mul(t, tensorOf(weights[k]!)))));
  })(names.map((n) => tensorOf(inputs[n]!))).map((t) => Float32Array.from(t.dataSync())));
  names.forEach((name, k) => {
    const numeric = Float64Array.from(inputs[name]!.values, (_, i) => {
      const nudged = (sign: number): number => {
        const values = Float32Array.from(inputs[name]!.values);
        values[i]! += sign * step;
        return weighted({ ...inputs, [name]: { values, shape: inputs[name]!.shape } });
      };
      return (nudged(1) - nudged(-1)) / (2 * step);
    });
    expectClose(analytic[k]!, numeric, tolerance, `${kernelName} d/d${name}`);
  });
}

describe('second derivatives through the fused kernels', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`softmax on ${backend}: grad of grad equals the composed formula and central differences`, async () => {
      await useBackend(backend);
      expect(tf.getKernel(SOFTMAX_GRAD_KERNEL, backend)).toBeDefined();
      const shape = [2, 3, 7];
      const x = operand('sx', shape, 1.5);
      const w = operand('sw', shape);
      const v = operand('sv', shape);
      // Composed: tfjs's own Softmax forward with the gradient in tfjs ops (no fused kernel).
      const reference = withoutKernel(SOFTMAX_GRAD_KERNEL, backend, () => secondOrder(viaTfjs(tf.softmax), [x], w, [v]));
      const fused = secondOrder(viaTfjs(tf.softmax), [x], w, [v]);
      fused.forEach((values, k) => expectClose(values, reference[k]!, 1e-5, `${backend} softmax ${k} vs tfjs gradient`));
      checkSecondOrder(`${backend} softmax`, tf.softmax, composedSoftmaxGradient, [x], w, [v], { composed: 1e-5, difference: 2e-3, step: 1e-2 });
      const info = await tf.profile(() => secondOrder(viaTfjs(tf.softmax), [x], w, [v]));
      expect(info.kernelNames).toContain(SOFTMAX_GRAD_KERNEL);
    });

    it(`layer norm on ${backend}: grad of grad in x, scale, bias and w equals the composition and central differences`, async () => {
      await useBackend(backend);
      const d = 6;
      const shape = [2, 3, d];
      const x = operand('lx', shape, 2, 0.5);
      const scale = operand('ls', [d], 0.5, 1);
      const bias = operand('lb', [d]);
      const w = operand('lw', shape);
      const directions = [operand('lvx', shape), operand('lvs', [d]), operand('lvb', [d])];
      const composed = (a: tf.Tensor, s: tf.Tensor, b: tf.Tensor): tf.Tensor => composedLayerNormParts(a, s, b).y;
      checkSecondOrder(`${backend} layer norm`, fusedLayerNorm, viaTfjs(composed), [x, scale, bias], w, directions, {
        composed: 5e-5, difference: 2e-3, step: 3e-3,
      });
    });

    it(`layer norm on ${backend}: gradients reaching the mean and rstd outputs flow back to x`, async () => {
      await useBackend(backend);
      const shape = [3, 5];
      const [x, scale, bias, w, wMean, wRstd] = [
        operand('mx', shape, 2, 1), operand('ms', [5]), operand('mb', [5]), operand('mw', shape), operand('mm', [3]), operand('mr', [3]),
      ];
      const loss = (parts: (a: tf.Tensor, s: tf.Tensor, b: tf.Tensor) => tf.Tensor[]) => (a: tf.Tensor): tf.Scalar => {
        const [y, mean, rstd] = parts(a, tensorOf(scale), tensorOf(bias));
        return tf.addN([tf.sum(tf.mul(y!, tensorOf(w))), tf.sum(tf.mul(mean!, tensorOf(wMean))), tf.sum(tf.mul(rstd!, tensorOf(wRstd)))]);
      };
      const fusedParts = (a: tf.Tensor, s: tf.Tensor, b: tf.Tensor) => tf.engine().runKernel(LAYER_NORM_KERNEL, { x: a, scale: s, bias: b }, { eps: EPS }) as tf.Tensor[];
      const composedParts = (a: tf.Tensor, s: tf.Tensor, b: tf.Tensor) => {
        const { y, mean, rstd } = composedLayerNormParts(a, s, b);
        return [y, mean, rstd];
      };
      const [fused, composed] = [fusedParts, composedParts].map((parts) =>
        tf.tidy(() => Float32Array.from(tf.grad(loss(parts))(tensorOf(x)).dataSync())));
      expectClose(fused!, composed!, 2e-5, `${backend} statistics gradient`);
    });

    it(`seeded dropout on ${backend}: linear, so grad of grad is zero in x and dropout of v in w`, async () => {
      await useBackend(backend);
      const shape = [3, 11];
      checkSecondOrder(`${backend} dropout`, fusedDropout, viaTfjs(composedDropout), [operand('dx', shape)], operand('dw', shape), [operand('dv', shape)], {
        composed: 1e-6, difference: 1e-4, step: 1e-2,
      });
    });
  }

  it('GELU on cpu (its only fused backend): grad of grad equals the composition and central differences', async () => {
    await useBackend('cpu');
    const shape = [4, 9];
    const fused = (x: tf.Tensor): tf.Tensor => tf.engine().runKernel(GELU_KERNEL, { x }, {}) as tf.Tensor;
    checkSecondOrder('cpu gelu', fused, viaTfjs(composedGelu), [operand('gx', shape, 1.5)], operand('gw', shape), [operand('gv', shape)], {
      composed: 2e-5, difference: 2e-3, step: 1e-2,
    });
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`every input of each gradient kernel has the partial derivative central differences give, on ${backend}`, async () => {
      await useBackend(backend);
      checkKernelPartials(SOFTMAX_GRAD_KERNEL, { dy: operand('pdy', [2, 5]), y: operand('py', [2, 5], 0.3, 0.2) }, [operand('pg', [2, 5])], 1e-2, 1e-3);
      // mean and rstd are free inputs here, not x's statistics: each partial holds the others fixed.
      checkKernelPartials(LAYER_NORM_GRAD_KERNEL, {
        dy: operand('ndy', [2, 4]), x: operand('nx', [2, 4]), scale: operand('ns', [4], 0.5, 1),
        mean: operand('nm', [2], 0.3), rstd: operand('nr', [2], 0.2, 1.2),
      }, [operand('ng', [2, 4]), operand('ngs', [4]), operand('ngb', [4])], 3e-3, 2e-3);
      if (backend === 'cpu') {
        checkKernelPartials(GELU_GRAD_KERNEL, { dy: operand('gdy', [3, 4]), x: operand('gx', [3, 4], 1.5) }, [operand('gg', [3, 4])], 1e-2, 2e-3);
      }
    });
  }
});
