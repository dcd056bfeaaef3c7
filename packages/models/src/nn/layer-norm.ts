import * as tf from '@tensorflow/tfjs';
import { activeBackendHas } from '../backend/fused/register.js';
import { LAYER_NORM_KERNEL, type LayerNormAttrs } from '../backend/fused/layer-norm.js';
import { ones, zeros } from './initializers.js';
import type { ParamScope } from './params.js';

/** flax's LayerNorm default, used by LRA; FNet (BERT-style) uses 1e-12. */
export const LRA_LAYER_NORM_EPS = 1e-6;

export interface LayerNorm {
  readonly scale: tf.Variable;
  readonly bias: tf.Variable;
  apply<T extends tf.Tensor>(x: T): T;
}

/** Normalises the last axis (biased variance), then scale ("<name>/scale") and shift ("<name>/bias"). */
export function layerNorm(params: ParamScope, name: string, dim: number, eps = LRA_LAYER_NORM_EPS): LayerNorm {
  if (!(eps > 0)) throw new Error(`layerNorm eps must be positive, got ${eps}`);
  const scope = params.scope(name);
  const scale = scope.add('scale', [dim], ones());
  const bias = scope.add('bias', [dim], zeros());
  return {
    scale,
    bias,
    apply<T extends tf.Tensor>(x: T): T {
      return tf.tidy(() => {
        // One kernel forward and one backward where the backend has them (cpu, wasm).
        if (x.dtype === 'float32' && activeBackendHas(LAYER_NORM_KERNEL)) {
          const attrs: LayerNormAttrs = { eps };
          const [y] = tf.engine().runKernel(LAYER_NORM_KERNEL, { x, scale, bias }, { ...attrs }) as tf.Tensor[];
          return y as T;
        }
        const axis = x.rank - 1;
        const { mean, variance } = tf.moments(x, axis, true);
        const normalised = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
        return tf.add(tf.mul(normalised, scale), bias) as T;
      });
    },
  };
}
