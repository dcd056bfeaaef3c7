// Batch normalisation over a sequence, as torch's BatchNorm1d applied per channel to (batch,
// length) in state-spaces/s4 (Normalization(_name_='batch')): training normalises with the
// statistics of the pass (biased variance) and moves running estimates towards them (unbiased
// variance, momentum 0.1); evaluation normalises with the running estimates.
//
// Masks: only real tokens enter the statistics. The reference has no mask, but its batches are
// padded to their longest row while this project's are padded to the task's length, so counting
// padding would weigh it far more here than there; where no position is padding (images,
// Pathfinder) the two are the same. Padded positions are still normalised (with the real tokens'
// statistics); pooling and the mixers leave them out.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext, StateUpdate } from './context.js';
import { constant, ones, zeros } from './initializers.js';
import type { ParamOptions, ParamScope } from './params.js';

/** torch's BatchNorm1d defaults. */
export const TORCH_BATCH_NORM_EPS = 1e-5;
export const TORCH_BATCH_NORM_MOMENTUM = 0.1;

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the newest batch in the running estimates; default 0.1. */
  momentum?: number;
  /** Options of the affine scale and bias (their weight decay). */
  paramOptions?: ParamOptions;
}

export interface BatchNorm {
  readonly scale: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  /** x [B, N, D], mask [B, N] (1 = real token) or null -> [B, N, D]. */
  apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D;
}

/**
 * Parameters "<name>/scale" and "<name>/bias", state "<name>/runningMean" and
 * "<name>/runningVar" (initially 0 and 1, as torch's).
 */
export function batchNorm(params: ParamScope, name: string, dim: number, options: BatchNormOptions = {}): BatchNorm {
  const eps = options.eps ?? TORCH_BATCH_NORM_EPS;
  const momentum = options.momentum ?? TORCH_BATCH_NORM_MOMENTUM;
  if (!(eps > 0)) throw new Error(`batchNorm eps must be positive, got ${eps}`);
  if (!(momentum >= 0 && momentum <= 1)) throw new Error(`batchNorm momentum must be in [0, 1], got ${momentum}`);
  const scope = params.scope(name);
  if (!scope.addState) throw new Error(`batchNorm "${scope.prefix}": this parameter scope cannot hold running statistics`);
  const scale = scope.add('scale', [dim], ones(), options.paramOptions);
  const bias = scope.add('bias', [dim], zeros(), options.paramOptions);
  const runningMean = scope.addState('runningMean', [dim], zeros());
  const runningVar = scope.addState('runningVar', [dim], constant(1));

  const normalise = (x: tf.Tensor3D, mean: tf.Tensor, variance: tf.Tensor): tf.Tensor3D =>
    tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), scale), bias) as tf.Tensor3D;

  return {
    scale,
    bias,
    runningMean,
    runningVar,
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      return tf.tidy(() => {
        if (!ctx.training) return normalise(x, runningMean, runningVar);
        const { mean, variance, count } = maskedMoments(x, mask);
        if (ctx.stateUpdates) ctx.stateUpdates.push(runningUpdate(runningMean, runningVar, mean, variance, count, momentum));
        return normalise(x, mean, variance);
      });
    },
  };
}

/** Per-channel mean and biased variance over the real positions of x, and how many there were. */
function maskedMoments(x: tf.Tensor3D, mask: tf.Tensor2D | null): { mean: tf.Tensor1D; variance: tf.Tensor1D; count: tf.Scalar } {
  const [batch, length, dim] = x.shape;
  if (!mask) {
    const { mean, variance } = tf.moments(tf.reshape(x, [batch * length, dim]), 0);
    return { mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D, count: tf.scalar(batch * length) };
  }
  const weights = tf.expandDims(mask, 2);
  // At least one position: an all-padding batch normalises with zero statistics instead of NaN.
  const count = tf.maximum(tf.sum(mask), 1) as tf.Scalar;
  const mean = tf.div(tf.sum(tf.mul(x, weights), [0, 1]), count) as tf.Tensor1D;
  const variance = tf.div(tf.sum(tf.mul(tf.square(tf.sub(x, mean)), weights), [0, 1]), count) as tf.Tensor1D;
  return { mean, variance, count };
}

/**
 * running <- (1 - momentum) running + momentum batch, with the variance made unbiased
 * (n / (n - 1)) as torch does for the running estimate. The update holds its own copies of the
 * batch statistics, kept out of the pass's tidy; they are not on the loss's path.
 */
function runningUpdate(
  runningMean: tf.Variable,
  runningVar: tf.Variable,
  mean: tf.Tensor1D,
  variance: tf.Tensor1D,
  count: tf.Scalar,
  momentum: number,
): StateUpdate {
  const batchMean = tf.keep(mean.clone());
  const unbiased = tf.keep(tf.tidy(() => tf.mul(variance, tf.div(count, tf.maximum(tf.sub(count, 1), 1)))));
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    tf.dispose([batchMean, unbiased]);
  };
  return {
    apply() {
      if (!held) throw new Error('a batch norm update was applied twice');
      tf.tidy(() => {
        runningMean.assign(tf.add(tf.mul(runningMean, 1 - momentum), tf.mul(batchMean, momentum)));
        runningVar.assign(tf.add(tf.mul(runningVar, 1 - momentum), tf.mul(unbiased, momentum)));
      });
      release();
    },
    dispose: release,
  };
}
