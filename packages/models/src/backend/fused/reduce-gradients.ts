// The gradients of Sum and Mean as tiles of dy, and Tile's as a sum: a reduction and a
// broadcast are each other's gradients, so either can be differentiated any number of times.
// tfjs-core's Sum and Mean gradients multiply dy by ones(x.shape): a tensor of x's size filled
// in JavaScript and copied onto the backend at every backward pass, then a broadcast product
// over it (an FFTNet step at N 4096 summed [8, 4096, 64] twice: about 10 ms each on one wasm
// thread). A tile copies the same values (dy times 1 is dy), so every backend gives the bits it
// gave before; Mean divides the small dy before the tile, as dy times 1 divided by n is dy
// divided by n. tfjs-core's Tile gradient adds one slice of dy per repetition, a kernel call
// each (4096 of them for the tile above), and stops at rank 4; here it is one sum over the
// repetitions, of any rank.
import * as tf from '@tensorflow/tfjs';
import type { MeanAttrs, SumAttrs, TileAttrs } from '@tensorflow/tfjs';

/** dy tiled back to `xShape` over the reduced axes (dy may be kept-dims or not), after `scale` if given. */
function tiledBack(dy: tf.Tensor, xShape: number[], axis: number | number[], scale?: (t: tf.Tensor) => tf.Tensor): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis, xShape);
  const expanded = tf.reshape(dy, xShape.map((size, d) => (axes.includes(d) ? 1 : size)));
  return tf.tile(scale ? scale(expanded) : expanded, xShape.map((size, d) => (axes.includes(d) ? size : 1)));
}

/** A reduction's gradient: dy tiled back over the reduced axes, divided by their size first for a mean. */
function reductionGradient(kernelName: string, mean: boolean): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as tf.Tensor[];
      const { axis } = attrs as unknown as SumAttrs | MeanAttrs;
      const axes = tf.util.parseAxisParam(axis, x!.shape);
      const reduceSize = axes.reduce((n, d) => n * x!.shape[d]!, 1);
      return { x: () => tiledBack(dy as tf.Tensor, x!.shape, axis, mean ? (t) => tf.div(t, reduceSize) : undefined) };
    },
  };
}

export const sumGradient = reductionGradient(tf.Sum, false);
export const meanGradient = reductionGradient(tf.Mean, true);

export const tileGradient: tf.GradConfig = {
  kernelName: tf.Tile,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as tf.Tensor[];
    const { reps } = attrs as unknown as TileAttrs;
    // dy [r0 x0, r1 x1, ...] seen as [r0, x0, r1, x1, ...], summed over the r axes.
    const split = x!.shape.flatMap((size, d) => [reps[d]!, size]);
    const repAxes = x!.shape.map((_, d) => 2 * d);
    return { x: () => tf.reshape(tf.sum(tf.reshape(dy as tf.Tensor, split), repAxes), x!.shape) };
  },
};
