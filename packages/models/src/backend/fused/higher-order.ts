// What a gradient needs to know to be differentiable again. tfjs keeps a kernel's saved outputs
// as copies recorded on the tape before the kernel's own node, so when a gradient is itself
// differentiated, a saved output looks like a constant: terms through it are silently lost
// (tfjs's own Softmax, Exp and Tanh gradients have this). Saved inputs are recorded after their
// producers and stay connected. A gradient that needs an output in a recorded backward pass
// therefore recomputes it from saved inputs there.
import * as tf from '@tensorflow/tfjs';

/** Whether the ops a gradient function runs now are recorded for a further derivative. */
export function gradientIsRecorded(): boolean {
  return tf.engine().isTapeOn();
}

/**
 * Whether a kernel running now runs inside a gradient of a gradient (tf.grad within the function
 * of another tf.grad), so that its own gradient will be recorded.
 */
export function forwardIsNested(): boolean {
  return tf.engine().state.gradientDepth > 1;
}
