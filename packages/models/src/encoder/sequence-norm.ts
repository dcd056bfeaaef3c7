// The normalisation of the SSM backbone's blocks: LayerNorm over the channels of each position, or
// BatchNorm over (batch, length) per channel with running statistics (nn/batch-norm.ts), as
// state-spaces/s4's Normalization(_name_='layer' | 'batch').
import type * as tf from '@tensorflow/tfjs';
import { batchNorm } from '../nn/batch-norm.js';
import type { ForwardContext } from '../nn/context.js';
import { layerNorm } from '../nn/layer-norm.js';
import type { ParamScope } from '../nn/params.js';

export type SequenceNormKind = 'layer' | 'batch';
export const sequenceNormKinds: readonly SequenceNormKind[] = ['layer', 'batch'];

export interface SequenceNorm {
  /** x [B, N, D]; mask [B, N] (1 = real token) or null: batch norm's statistics take real tokens only. */
  apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D;
}

/** momentum: batch norm's (torch's convention); default 0.1. */
export function sequenceNorm(kind: SequenceNormKind, params: ParamScope, name: string, dim: number, eps: number, momentum?: number): SequenceNorm {
  if (kind === 'batch') return batchNorm(params, name, dim, momentum === undefined ? { eps } : { eps, momentum });
  const norm = layerNorm(params, name, dim, eps);
  return { apply: (x) => norm.apply(x) };
}
