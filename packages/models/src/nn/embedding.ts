import * as tf from '@tensorflow/tfjs';
import { normal, type Initializer } from './initializers.js';
import type { ParamScope } from './params.js';

export interface EmbeddingOptions {
  vocabSize: number;
  dim: number;
  /** Default normal(1.0), as LRA's encoders pass to flax's Embed. */
  init?: Initializer;
}

export interface Embedding {
  readonly table: tf.Variable;
  /** int32 ids [B, N] -> [B, N, dim]. */
  apply(ids: tf.Tensor2D): tf.Tensor3D;
}

/** One parameter "<name>" [vocabSize, dim], looked up with tf.gather. */
export function embedding(params: ParamScope, name: string, options: EmbeddingOptions): Embedding {
  const table = params.add(name, [options.vocabSize, options.dim], options.init ?? normal(1.0));
  return {
    table,
    apply(ids: tf.Tensor2D): tf.Tensor3D {
      if (ids.dtype !== 'int32') throw new Error(`embedding "${params.prefix}${name}": ids must be int32, got ${ids.dtype}`);
      return tf.gather(table, ids) as tf.Tensor3D;
    },
  };
}
