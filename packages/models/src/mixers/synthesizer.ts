// Synthesizer attention (Tay et al. 2021) as the Long Range Arena's code runs it
// (lra_benchmarks/models/synthesizer/synthesizer_attention.py). LRA's encoder runs mode 'random'
// with the dot product kept: the scores are Q K^T / sqrt(d) plus a learned [H, N, N] matrix
// (initialised xavier-uniform, sliced to the input's length). The text task's config also sets
// ignore_dot_product, 'factorized_random' and k = 32, but on the config itself rather than on
// config.model, so they never reach the model; they are here as options.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { dense, type Dense } from '../nn/dense.js';
import { dropout } from '../nn/dropout.js';
import { normal, xavierUniform } from '../nn/initializers.js';
import { checkMask, headLayout, headLayoutProblem, headProjection, outputProjection, type Projection } from './heads.js';
import { lraSoftmaxAttention, maskedBias, paddingPairs } from './lra-attention.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export type SynthesizerMode = 'random' | 'factorized_random' | 'dense' | 'dense+random' | 'dense+factorized_random';

export interface SynthesizerOptions {
  /** Width of queries, keys and values over all heads (LRA's qkv_dim); null means dModel. */
  qkvDim: number | null;
  /** Which synthetic scores are added: LRA's mode strings ('random' in LRA's runs). */
  mode: SynthesizerMode;
  /** Rank of 'factorized_random' (LRA's k = 32). */
  k: number;
  /**
   * Drop Q K^T: the scores are the synthetic ones alone, keys are the values, and (as in LRA's
   * code) no padding mask is applied. LRA's runs keep the dot product (false).
   */
  ignoreDotProduct: boolean;
  /** Implementation followed: LRA's code (the only one). */
  impl: 'lra';
}

function createSynthesizer(args: MixerArgs, options: SynthesizerOptions): Mixer {
  const layout = headLayout(args, options.qkvDim);
  const { heads, headDim } = layout;
  // LRA's max_length: the synthetic matrices cover the longest input the model takes.
  const maxLength = args.seqLen;
  const dotProduct = options.ignoreDotProduct
    ? null
    : { query: headProjection(args, 'query', layout), key: headProjection(args, 'key', layout) };
  const value: Projection = headProjection(args, 'value', layout);
  const output = outputProjection(args, layout);
  const init = xavierUniform();
  const factorized = options.mode.includes('factorized_random');
  const random = options.mode.includes('random') && !factorized ? args.params.add('random', [heads, maxLength, maxLength], init) : null;
  const random1 = factorized ? args.params.add('random1', [heads, maxLength, options.k], init) : null;
  const random2 = factorized ? args.params.add('random2', [heads, options.k, maxLength], init) : null;
  const denseLayers: { perHead: Dense; toLength: Dense } | null = options.mode.includes('dense')
    ? {
        perHead: dense(args.params, 'denseSyn', { inputDim: args.dModel, units: layout.width, bias: false, kernelInit: init, biasInit: normal(1e-6) }),
        toLength: dense(args.params, 'denseSynLength', { inputDim: headDim, units: maxLength, bias: false, kernelInit: init, biasInit: normal(1e-6) }),
      }
    : null;

  /** The synthetic scores, broadcast against [B, H, N, N]. Call inside tf.tidy. */
  const syntheticScores = (x: tf.Tensor3D): tf.Tensor | null => {
    const [batch, length] = x.shape;
    const parts: tf.Tensor[] = [];
    if (random) parts.push(tf.reshape(tf.slice(random, [0, 0, 0], [heads, length, length]), [1, heads, length, length]));
    if (random1 && random2) {
      const left = tf.slice(random1, [0, 0, 0], [heads, length, options.k]) as tf.Tensor3D;
      const right = tf.slice(random2, [0, 0, 0], [heads, options.k, length]) as tf.Tensor3D;
      parts.push(tf.reshape(tf.matMul(left, right), [1, heads, length, length]));
    }
    if (denseLayers) {
      // [B, N, H, d] -> relu -> [B, N, H, maxLength], then REshaped (not transposed) to
      // [B, H, N, maxLength] as LRA's code does, and cut to the first N keys.
      const perHead = tf.relu(tf.reshape(denseLayers.perHead.apply(x), [batch, length, heads, headDim]));
      const scores = tf.reshape(denseLayers.toLength.apply(perHead), [batch, heads, length, maxLength]);
      parts.push(tf.slice(scores, [0, 0, 0, 0], [batch, heads, length, length]));
    }
    return parts.length === 0 ? null : parts.reduce((a, b) => tf.add(a, b));
  };

  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      checkMask('synthesizer', x, mask);
      const [batch, length] = x.shape;
      if (length > maxLength) throw new Error(`synthesizer: its synthetic weights cover ${maxLength} positions, got ${length}`);
      return tf.tidy(() => {
        const v = value.heads(x);
        const synthetic = syntheticScores(x);
        if (!dotProduct) {
          // Softmax of the synthetic scores alone (zero without any), keys unused, no padding mask.
          const scores = synthetic ? tf.broadcastTo(synthetic, [batch, heads, length, length]) : tf.zeros([batch, heads, length, length]);
          const weights = tf.softmax(tf.reshape(scores, [batch * heads, length, length])) as tf.Tensor3D;
          return output(tf.matMul(dropout(weights, args.attentionDropout, ctx), v));
        }
        const mixed = lraSoftmaxAttention(
          {
            q: dotProduct.query.heads(x),
            k: dotProduct.key.heads(x),
            v,
            heads,
            bias: mask ? maskedBias(paddingPairs(mask)) : null,
            extraScores: synthetic,
            dropoutRate: args.attentionDropout,
          },
          ctx,
        );
        return output(mixed);
      });
    },
  };
}

export const synthesizer: MixerSpec<SynthesizerOptions> = {
  name: 'synthesizer',
  title: 'Synthesizer (random + dot product, LRA code)',
  paper: 'Tay, Bahri, Metzler, Juan, Zhao and Zheng, "Synthesizer: Rethinking Self-Attention for Transformer Models", ICML 2021 (as run in Tay et al., LRA, ICLR 2021)',
  kind: 'attention',
  defaults: { mode: 'random', k: 32, ignoreDotProduct: false, qkvDim: null, impl: 'lra' },
  choices: { mode: ['random', 'factorized_random', 'dense', 'dense+random', 'dense+factorized_random'], impl: ['lra'] },
  create: createSynthesizer,
  validate(args, options) {
    if (!Number.isInteger(options.k) || options.k < 1) return `k must be a positive integer, got ${options.k}`;
    return headLayoutProblem(args, options.qkvDim);
  },
};
