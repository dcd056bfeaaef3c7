// Local (sliding-window) softmax attention, as in the Long Range Arena's baselines: query i
// attends to the keys j with |i - j| < window / 2. Computed in blocks, so memory is O(N window)
// rather than O(N^2): the sequence is cut into blocks of at least the window radius, and each
// query block attends to its own and its two neighbouring key blocks, masked to the exact band.
//
// impl 'lra' is the Long Range Arena's own local attention (local-lra.ts), the model behind the
// LRA paper's Table 1 row: softmax attention within strided groups of blockSize positions (50,
// LRA's default, which no LRA config changes), not within a window; `window` does not apply to it.
// The band above is what "local attention" means elsewhere; both exist so that our results can be
// compared with the paper's numbers and with a sliding window.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { dense, type Dense } from '../nn/dense.js';
import { dropout } from '../nn/dropout.js';
import { xavierUniform } from '../nn/initializers.js';
import { MASKED_SCORE } from './attention.js';
import type { MixerInspection } from '../analysis/inspection.js';
import { createLocalLra } from './local-lra.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface LocalOptions {
  /** Window width w: keys with |i - j| < w / 2 are kept. */
  window: number;
  /** 'clean' is the band above; 'lra' reproduces LRA's code (see the top of this file). */
  impl: 'clean' | 'lra';
  /** impl 'lra' only: positions per group (LRA's block_size). */
  blockSize: number;
  /** Width of queries, keys and values over all heads (LRA's qkv_dim); null: dModel. */
  qkvDim: number | null;
}

/** The largest kept offset: |i - j| <= radius exactly when |i - j| < w / 2. */
export function localRadius(window: number): number {
  return Math.ceil(window / 2) - 1;
}

/** Additive scores [P, 3P] for query p of a block against key q of its (previous, own, next) blocks. */
function bandBias(block: number, radius: number): tf.Tensor2D {
  const values = new Float32Array(block * 3 * block);
  for (let p = 0; p < block; p++) {
    for (let q = 0; q < 3 * block; q++) values[p * 3 * block + q] = Math.abs(p - q + block) <= radius ? 0 : MASKED_SCORE;
  }
  return tf.tensor2d(values, [block, 3 * block]);
}

/**
 * x [B, nb + 2, W] -> [B, nb, 3W]: each block with its previous and next one. Kept 3-D: wasm
 * slices and concatenates tensors of rank 4 or less natively, higher ranks element by element
 * in JavaScript (hundreds of times slower).
 */
function withNeighbours(x: tf.Tensor3D, blocks: number): tf.Tensor3D {
  const [batch, , width] = x.shape;
  const shifted = (offset: number) => tf.slice(x, [0, offset, 0], [batch, blocks, width]);
  return tf.concat([shifted(0), shifted(1), shifted(2)], 2);
}

function createLocal(args: MixerArgs, options: LocalOptions): Mixer {
  if (options.impl === 'lra') return createLocalLra(args, options);
  const { dModel, heads } = args;
  const qkv = options.qkvDim ?? dModel;
  const headDim = qkv / heads;
  const radius = localRadius(options.window);
  const block = Math.max(1, radius);
  const init = { bias: false, kernelInit: xavierUniform() };
  const project = (name: string): Dense => dense(args.params, name, { inputDim: dModel, units: qkv, ...init });
  const query = project('query');
  const key = project('key');
  const value = project('value');
  const output = dense(args.params, 'output', { inputDim: qkv, units: dModel, ...init });

  /**
   * Band softmax weights [B*H*nb, P, 3P] (before dropout; query p of block b against keys
   * (b - 1) P .. (b + 2) P - 1) and the matching values [B*H*nb, 3P, dh]. Call inside tf.tidy.
   */
  const weightsAndValues = (x: tf.Tensor3D, mask: tf.Tensor2D | null): { weights: tf.Tensor3D; v3: tf.Tensor3D } => {
    const [batch, length] = x.shape;
    if (mask && (mask.shape[0] !== batch || mask.shape[1] !== length)) {
      throw new Error(`local: mask shape [${mask.shape}] does not match input [${batch}, ${length}]`);
    }
    const blocks = Math.ceil(length / block);
    const tail = blocks * block - length;
    // Queries: [B*H*nb, P, dh]. Keys and values get one empty block on each side.
    const q = tf.pad(tf.mul(query.apply(x), 1 / Math.sqrt(headDim)), [[0, 0], [0, tail], [0, 0]]);
    const q3 = tf.reshape(tf.transpose(tf.reshape(q, [batch, blocks, block, heads, headDim]), [0, 3, 1, 2, 4]), [
      batch * heads * blocks,
      block,
      headDim,
    ]) as tf.Tensor3D;
    const context = (t: tf.Tensor): tf.Tensor => {
      const padded = tf.reshape(tf.pad(t, [[0, 0], [block, block + tail], [0, 0]]), [batch, blocks + 2, block * qkv]);
      return tf.reshape(withNeighbours(padded as tf.Tensor3D, blocks), [batch, blocks, 3 * block, heads, headDim]);
    };
    const kT3 = tf.reshape(tf.transpose(context(key.apply(x)), [0, 3, 1, 4, 2]), [batch * heads * blocks, headDim, 3 * block]) as tf.Tensor3D;
    const v3 = tf.reshape(tf.transpose(context(value.apply(x)), [0, 3, 1, 2, 4]), [batch * heads * blocks, 3 * block, headDim]) as tf.Tensor3D;
    // Keys outside the sequence, and padded keys, are masked like the band's outside.
    const real = mask ?? tf.ones([batch, length]);
    const keyReal = withNeighbours(tf.reshape(tf.pad(real, [[0, 0], [block, block + tail]]), [batch, blocks + 2, block]) as tf.Tensor3D, blocks);
    const keyBias = tf.reshape(tf.mul(tf.sub(1, keyReal), MASKED_SCORE), [batch, 1, blocks, 1, 3 * block]);
    const bias = tf.add(keyBias, bandBias(block, radius));
    const scores = tf.add(tf.reshape(tf.matMul(q3, kT3), [batch, heads, blocks, block, 3 * block]), bias);
    return { weights: tf.softmax(tf.reshape(scores, [batch * heads * blocks, block, 3 * block])) as tf.Tensor3D, v3 };
  };

  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      const [batch, length] = x.shape;
      const blocks = Math.ceil(length / block);
      return tf.tidy(() => {
        const { weights: probabilities, v3 } = weightsAndValues(x, mask);
        const weights = dropout(probabilities, args.attentionDropout, ctx);
        const mixed = tf.reshape(tf.matMul(weights, v3), [batch, heads, blocks * block, headDim]);
        const merged = tf.reshape(tf.transpose(tf.slice(mixed, [0, 0, 0, 0], [batch, heads, length, headDim]), [0, 2, 1, 3]), [
          batch,
          length,
          qkv,
        ]) as tf.Tensor3D;
        return output.apply(merged);
      });
    },
    inspect(x: tf.Tensor3D, mask: tf.Tensor2D | null): MixerInspection {
      const [batch, length] = x.shape;
      const blocks = Math.ceil(length / block);
      const banded = tf.tidy(() => weightsAndValues(x, mask).weights);
      const band = banded.dataSync() as Float32Array;
      banded.dispose();
      // Scatter the band back to dense [B, H, N, N]: query p of block b is position b P + p,
      // key q of its three blocks is position (b - 1) P + q.
      const probabilities = new Float32Array(batch * heads * length * length);
      for (let bh = 0; bh < batch * heads; bh++) {
        for (let b = 0; b < blocks; b++) {
          for (let p = 0; p < block; p++) {
            const i = b * block + p;
            if (i >= length) continue;
            const row = ((bh * blocks + b) * block + p) * 3 * block;
            for (let q = 0; q < 3 * block; q++) {
              const j = (b - 1) * block + q;
              if (j >= 0 && j < length) probabilities[(bh * length + i) * length + j] = band[row + q]!;
            }
          }
        }
      }
      return {
        attention: {
          examples: batch,
          heads,
          queries: length,
          keys: length,
          probabilities,
          queryMask: mask ? (mask.dataSync() as Float32Array).slice() : null,
        },
      };
    },
  };
}

export const local: MixerSpec<LocalOptions> = {
  name: 'local',
  title: 'Local (sliding-window) attention',
  paper: 'Tay et al., "Long Range Arena: A Benchmark for Efficient Transformers", ICLR 2021 (local attention baseline)',
  kind: 'attention',
  defaults: { window: 32, impl: 'clean', blockSize: 50, qkvDim: null },
  choices: { impl: ['clean', 'lra'] },
  create: createLocal,
  validate(args, options) {
    if (!Number.isInteger(options.window) || options.window < 1) return `window must be a positive integer, got ${options.window}`;
    const qkv = options.qkvDim ?? args.dModel;
    if (!Number.isInteger(qkv) || qkv < 1) return `qkvDim must be a positive integer, got ${options.qkvDim}`;
    if (qkv % args.heads !== 0) return `${options.qkvDim === null ? 'dModel' : 'qkvDim'} ${qkv} is not divisible by ${args.heads} heads`;
    if (!Number.isInteger(options.blockSize) || options.blockSize < 1) {
      return `blockSize must be a positive integer, got ${options.blockSize}`;
    }
    return null;
  },
};
