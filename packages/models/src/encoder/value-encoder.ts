// S4's, S5's and Mega's encoder for the image tasks (state-spaces/s4 pipeline cifar/pathfinder:
// `encoder: linear`): each position's pixel value, normalised, through one Linear(1 -> d_model),
// where the text tasks look tokens up in an embedding table. Token ids stand for values as
// ((id - offset) * scale - mean) / std; torch's nn.Linear(1, d) initialisation, U(-1, 1).
import * as tf from '@tensorflow/tfjs';
import { uniform } from '../nn/initializers.js';
import type { ParamScope } from '../nn/params.js';

/** How token ids map to the values the linear encoder reads. */
export interface TokenValues {
  /** The id of value 0 (an image task's zeroValueId). */
  offset: number;
  /** Value per id step: 1 / 255 for grey levels, so values lie in [0, 1] as torchvision's ToTensor. */
  scale: number;
  /** Normalisation after scaling (torchvision's Normalize); mean 0 and std 1 leave values as they are. */
  mean: number;
  std: number;
}

export interface ValueEncoder {
  /** int32 ids [B, N] -> [B, N, dModel]. */
  apply(ids: tf.Tensor2D): tf.Tensor3D;
}

/** Parameters "<scope>/kernel" [dModel] and "<scope>/bias" [dModel]. */
export function valueEncoder(params: ParamScope, dModel: number, values: TokenValues): ValueEncoder {
  const kernel = params.add('kernel', [dModel], uniform(-1, 1));
  const bias = params.add('bias', [dModel], uniform(-1, 1));
  return {
    apply(ids: tf.Tensor2D): tf.Tensor3D {
      return tf.tidy(() => {
        const scaled = tf.mul(tf.sub(tf.cast(ids, 'float32'), values.offset), values.scale);
        const normalised = tf.div(tf.sub(scaled, values.mean), values.std);
        return tf.add(tf.mul(tf.expandDims(normalised, 2), kernel), bias) as tf.Tensor3D;
      });
    },
  };
}
