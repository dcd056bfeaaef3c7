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

/**
 * The gradients of a function computed in chunks, recomputed chunk by chunk in the backward pass:
 * for each chunk, vjp of `recompute(chunk)` by `inputs` against that chunk's slice of dy, summed
 * over the chunks. Only one chunk's intermediates are alive at a time.
 */
export function chunkedVjp<C>(
  chunks: readonly C[],
  inputs: readonly tf.Tensor[],
  recompute: (chunk: C) => tf.Tensor,
  dyOf: (chunk: C) => tf.Tensor,
): tf.Tensor[] {
  let sums: tf.Tensor[] | null = null;
  for (const chunk of chunks) {
    const grads = tf.tidy(() => {
      const { value, grads: chunkGrads } = vjp(() => recompute(chunk), inputs, dyOf(chunk));
      value.dispose();
      return chunkGrads;
    });
    const old: tf.Tensor[] | null = sums;
    sums = old ? grads.map((g, i) => tf.add(old[i]!, g)) : grads;
    if (old) tf.dispose([...old, ...grads]);
  }
  if (!sums) throw new Error('chunkedVjp: no chunks');
  return sums;
}
