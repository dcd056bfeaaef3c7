// Classifier heads as LRA's classifier_head and classifier_head_dual: flax Dense defaults
// (lecun-normal kernels, zero biases), ReLU, no dropout.
import * as tf from '@tensorflow/tfjs';
import { dense } from '../nn/dense.js';
import type { ParamScope } from '../nn/params.js';
import type { PairInteraction } from './config.js';

export interface Head {
  apply(pooled: tf.Tensor2D): tf.Tensor2D;
}

/** pooled -> Dense(hidden) -> ReLU -> Dense(classes). */
export function classifierHead(params: ParamScope, dModel: number, hidden: number, numClasses: number): Head {
  const first = dense(params, 'hidden', { inputDim: dModel, units: hidden });
  const logits = dense(params, 'logits', { inputDim: hidden, units: numClasses });
  return { apply: (pooled) => tf.tidy(() => logits.apply(tf.relu(first.apply(pooled)))) };
}

export interface PairHead {
  apply(first: tf.Tensor2D, second: tf.Tensor2D): tf.Tensor2D;
}

/**
 * concat: [e1, e2]; nli: [e1, e2, e1 * e2, e1 - e2]; then Dense(hidden) -> ReLU ->
 * Dense(floor(hidden / 2)) -> ReLU -> Dense(classes).
 */
export function pairHead(
  params: ParamScope,
  dModel: number,
  hidden: number,
  numClasses: number,
  interaction: PairInteraction,
): PairHead {
  const parts = interaction === 'nli' ? 4 : 2;
  const half = Math.floor(hidden / 2);
  const first = dense(params, 'hidden', { inputDim: parts * dModel, units: hidden });
  const second = dense(params, 'hidden2', { inputDim: hidden, units: half });
  const logits = dense(params, 'logits', { inputDim: half, units: numClasses });
  return {
    apply: (e1, e2) =>
      tf.tidy(() => {
        const features = interaction === 'nli' ? [e1, e2, tf.mul(e1, e2), tf.sub(e1, e2)] : [e1, e2];
        const joined = tf.concat(features, 1) as tf.Tensor2D;
        return logits.apply(tf.relu(second.apply(tf.relu(first.apply(joined)))));
      }),
  };
}
