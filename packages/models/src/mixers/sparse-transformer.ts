// Sparse Transformer attention (Child et al. 2019) as the Long Range Arena's code runs it
// (lra_benchmarks/models/sparse_transformer/sparse_attention.py, with the patterns LRA's
// train_utils.py passes: Fixed1(block_size=50) OR Fixed2(block_size=50, c=10)). The pattern is
// applied as a dense [N, N] mask, as LRA's code does: it saves no computation, it only restricts
// which keys a query sees. Every pattern is causal.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { checkMask, headLayout, headLayoutProblem, headProjection, outputProjection } from './heads.js';
import { lraSoftmaxAttention, maskedBias, paddingPairs } from './lra-attention.js';
import { fixedPattern, type FixedPatternOptions } from './sparse-transformer-pattern.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface SparseTransformerOptions extends FixedPatternOptions {
  /** Width of queries, keys and values over all heads (LRA's qkv_dim); null means dModel. */
  qkvDim: number | null;
  /** Implementation followed: LRA's code (the only one). */
  impl: 'lra';
}

function createSparseTransformer(args: MixerArgs, options: SparseTransformerOptions): Mixer {
  const layout = headLayout(args, options.qkvDim);
  const query = headProjection(args, 'query', layout);
  const key = headProjection(args, 'key', layout);
  const value = headProjection(args, 'value', layout);
  const output = outputProjection(args, layout);
  const hasCls = args.hasCls === true;
  // Patterns are plain arrays, made once per length: a cached tensor would outlive its caller.
  const patterns = new Map<number, Float32Array>();
  const patternFor = (length: number): Float32Array => {
    let pattern = patterns.get(length);
    if (!pattern) {
      pattern = fixedPattern(length, options, hasCls);
      patterns.set(length, pattern);
    }
    return pattern;
  };

  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      checkMask('sparse-transformer', x, mask);
      const length = x.shape[1];
      return tf.tidy(() => {
        let allowed: tf.Tensor = tf.tensor4d(patternFor(length), [1, 1, length, length]);
        if (mask) allowed = tf.mul(allowed, paddingPairs(mask));
        const mixed = lraSoftmaxAttention(
          {
            q: query.heads(x),
            k: key.heads(x),
            v: value.heads(x),
            heads: layout.heads,
            bias: maskedBias(allowed),
            dropoutRate: args.attentionDropout,
          },
          ctx,
        );
        return output(mixed);
      });
    },
  };
}

export const sparseTransformer: MixerSpec<SparseTransformerOptions> = {
  name: 'sparse-transformer',
  title: 'Sparse Transformer (fixed pattern, LRA code)',
  paper: 'Child, Gray, Radford and Sutskever, "Generating Long Sequences with Sparse Transformers", arXiv:1904.10509, 2019 (as run in Tay et al., LRA, ICLR 2021)',
  kind: 'attention',
  defaults: { blockSize: 50, c: 10, qkvDim: null, impl: 'lra' },
  choices: { impl: ['lra'] },
  create: createSparseTransformer,
  validate(args, options) {
    if (!Number.isInteger(options.blockSize) || options.blockSize < 1) return `blockSize must be a positive integer, got ${options.blockSize}`;
    if (!Number.isInteger(options.c) || options.c < 0 || options.c > options.blockSize) {
      return `c must be an integer in [0, blockSize ${options.blockSize}], got ${options.c}`;
    }
    return headLayoutProblem(args, options.qkvDim);
  },
};
