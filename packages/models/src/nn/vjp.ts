import * as tf from '@tensorflow/tfjs';

/**
 * Vector-Jacobian product of fn at the given inputs: fn's value and the gradients of
 * sum(fn(...) * dy) by `inputs` (zeros for an input fn does not read).
 *
 * It runs inside the backward pass of an enclosing gradient computation. tfjs keeps one active
 * tape per engine: a gradient computation started at depth 0 (as this one is, since the outer
 * tape is closed while it backpropagates) replaces the tape and clears it when done, and the
 * outer computation then finds no tape to release. The outer tape is put back afterwards.
 */
export function vjp<T extends tf.Tensor>(fn: () => T, inputs: readonly tf.Tensor[], dy: T): { value: T; grads: tf.Tensor[] } {
  const engine = tf.engine();
  const outerTape = engine.state.activeTape;
  try {
    const { value, grads } = engine.gradients(fn, [...inputs], dy, true);
    return { value, grads: grads.map((g, i) => g ?? tf.zerosLike(inputs[i]!)) };
  } finally {
    engine.state.activeTape = outerTape;
  }
}
