// The nonlinearity that S5's and the LRU's sequence layers put after the state space
// (lindermanlab/S5 s5/layers.py SequenceLayer; NicolasZucchet/minimal-LRU lru/model.py), with the
// dropout they apply after the GELU. The dropout after the gate, the residual and the norm around
// it are the encoder block's.
import * as tf from '@tensorflow/tfjs';
import { geluTanh } from '../nn/activations.js';
import type { ForwardContext } from '../nn/context.js';
import { dense, type Dense } from '../nn/dense.js';
import { dropout } from '../nn/dropout.js';
import type { ParamScope } from '../nn/params.js';

/**
 * - full_glu: out1(g) * sigmoid(out2(g)), g = drop(gelu(y)) (the LRU's only form);
 * - half_glu1: g * sigmoid(out2(g));
 * - half_glu2: y * sigmoid(out2(g)) (GELU on the gate's input only);
 * - gelu: g.
 */
export type SsmActivation = 'full_glu' | 'half_glu1' | 'half_glu2' | 'gelu';
export const SSM_ACTIVATIONS: readonly SsmActivation[] = ['half_glu1', 'half_glu2', 'full_glu', 'gelu'];

export interface SsmActivationLayer {
  apply(y: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D;
}

/**
 * Dropout as flax's nn.Dropout(broadcast_dims=[0]) inside S5's per-sequence layer: one mask per
 * example and channel, shared by every position.
 */
function channelDropout(x: tf.Tensor3D, rate: number, ctx: ForwardContext): tf.Tensor3D {
  if (!ctx.training || rate === 0) return x;
  const [batch, , channels] = x.shape;
  return tf.tidy(() => tf.mul(x, dropout(tf.ones([batch, 1, channels]), rate, ctx)) as tf.Tensor3D);
}

/** Flax nn.Dense(H) (LeCun normal kernel, zero bias) as out1 and out2 where the form needs them. */
export function ssmActivation(scope: ParamScope, channels: number, kind: SsmActivation, dropoutRate: number): SsmActivationLayer {
  const out1: Dense | null = kind === 'full_glu' ? dense(scope, 'out1', { inputDim: channels, units: channels }) : null;
  const out2: Dense | null = kind === 'gelu' ? null : dense(scope, 'out2', { inputDim: channels, units: channels });
  return {
    apply(y, ctx) {
      return tf.tidy(() => {
        const g = channelDropout(geluTanh(y), dropoutRate, ctx);
        if (kind === 'gelu') return g;
        const gate = tf.sigmoid(out2!.apply(g));
        const value = kind === 'full_glu' ? out1!.apply(g) : kind === 'half_glu1' ? g : y;
        return tf.mul(value, gate) as tf.Tensor3D;
      });
    },
  };
}
