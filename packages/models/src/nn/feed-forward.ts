import * as tf from '@tensorflow/tfjs';
import { gelu } from './activations.js';
import type { ForwardContext } from './context.js';
import { dense } from './dense.js';
import { dropout } from './dropout.js';
import { normal, xavierUniform, type Initializer } from './initializers.js';
import type { ParamScope } from './params.js';

export interface FeedForwardOptions {
  dModel: number;
  mlpDim: number;
  dropout: number;
  /** Default xavierUniform, as LRA's MlpBlock. */
  kernelInit?: Initializer;
  /** Default normal(1e-6), as LRA's MlpBlock. */
  biasInit?: Initializer;
  /** The output Dense's bias; default biasInit (FNet's output Dense keeps flax's zeros). */
  outputBiasInit?: Initializer;
  /** Dropout after the activation too (LRA's MlpBlock); false: only after the output Dense (FNet). Default true. */
  hiddenDropout?: boolean;
  /** The hidden activation: 'gelu' (LRA's MlpBlock, default) or 'silu' (Mega's feed-forward network). */
  activation?: 'gelu' | 'silu';
}

export interface FeedForward {
  apply(x: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D;
}

/**
 * LRA's MlpBlock: Dense(mlpDim) -> GELU -> dropout -> Dense(dModel) -> dropout. With
 * hiddenDropout false, FNet's: Dense(mlpDim) -> GELU -> Dense(dModel) -> dropout. With activation
 * 'silu', Mega's NormalizedFeedForwardNetwork's activation.
 */
export function feedForward(params: ParamScope, name: string, options: FeedForwardOptions): FeedForward {
  const scope = params.scope(name);
  const init = { kernelInit: options.kernelInit ?? xavierUniform(), biasInit: options.biasInit ?? normal(1e-6) };
  const expand = dense(scope, 'expand', { inputDim: options.dModel, units: options.mlpDim, ...init });
  const contract = dense(scope, 'contract', {
    inputDim: options.mlpDim,
    units: options.dModel,
    kernelInit: init.kernelInit,
    biasInit: options.outputBiasInit ?? init.biasInit,
  });
  return {
    apply(x: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D {
      return tf.tidy(() => {
        const expanded = expand.apply(x);
        const activated = options.activation === 'silu' ? (tf.mul(expanded, tf.sigmoid(expanded)) as tf.Tensor3D) : gelu(expanded);
        const hidden = options.hiddenDropout === false ? activated : dropout(activated, options.dropout, ctx);
        return dropout(contract.apply(hidden), options.dropout, ctx);
      });
    },
  };
}
