// A vector-Jacobian product taken inside the backward pass of an enclosing gradient computation
// (a gradient that recomputes its forward, as BigBird's blocked chunks do).
// tfjs keeps one active tape per engine: a gradient computation started at depth 0 (as this one
// is, since the outer tape is closed while it backpropagates) replaces the tape and clears it
// when done, and the outer computation then finds no tape to release: the outer tape is put back
// afterwards. (The reversible encoder does the same for its blocks.)
import * as tf from '@tensorflow/tfjs';

/** Gradients of sum(fn(...inputs) * dy) by `inputs` (zeros for an input fn does not read). */
export function backwardVjp(fn: (...inputs: tf.Tensor[]) => tf.Tensor, inputs: readonly tf.Tensor[], dy: tf.Tensor): tf.Tensor[] {
  const engine = tf.engine();
  const outerTape = engine.state.activeTape;
  try {
    const { value, grads } = engine.gradients(() => fn(...inputs), [...inputs], dy, true);
    value.dispose();
    return grads.map((g, i) => g ?? tf.zerosLike(inputs[i]!));
  } finally {
    engine.state.activeTape = outerTape;
  }
}
