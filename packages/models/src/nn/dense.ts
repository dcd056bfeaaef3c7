import * as tf from '@tensorflow/tfjs';
import { lecunNormal, zeros, type Initializer } from './initializers.js';
import type { ParamScope } from './params.js';

export interface DenseOptions {
  inputDim: number;
  units: number;
  /** Default true. */
  bias?: boolean;
  /** Default lecunNormal, as flax's Dense. */
  kernelInit?: Initializer;
  /** Default zeros, as flax's Dense. */
  biasInit?: Initializer;
}

export interface Dense {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable | null;
  /** Maps the last axis from inputDim to units; any leading axes are kept. */
  apply<T extends tf.Tensor>(x: T): T;
}

/** Parameters "<name>/kernel" [inputDim, units] and, with a bias, "<name>/bias" [units]. */
export function dense(params: ParamScope, name: string, options: DenseOptions): Dense {
  const { inputDim, units } = options;
  const scope = params.scope(name);
  const kernel = scope.add('kernel', [inputDim, units], options.kernelInit ?? lecunNormal());
  const bias = options.bias === false ? null : scope.add('bias', [units], options.biasInit ?? zeros());
  return {
    kernel,
    bias,
    apply<T extends tf.Tensor>(x: T): T {
      const shape = x.shape;
      if (shape[shape.length - 1] !== inputDim) {
        throw new Error(`dense "${scope.prefix}": last axis is ${shape[shape.length - 1]}, expected ${inputDim}`);
      }
      return tf.tidy(() => {
        // A 2-D product: far faster on wasm than a batched one.
        let y: tf.Tensor = tf.matMul(tf.reshape(x, [-1, inputDim]) as tf.Tensor2D, kernel);
        if (bias) y = tf.add(y, bias);
        return tf.reshape(y, [...shape.slice(0, -1), units]) as T;
      });
    },
  };
}
