// Longformer attention (Beltagy et al. 2020) as the Long Range Arena's code runs it
// (lra_benchmarks/models/longformer/longformer_attention.py): a sliding window of 512 keys and
// global positions with their own query, key and value projections. LRA's encoder passes no
// global mask, so its runs have no global positions (globalTokens 0): the global path is still
// computed and its projections count as parameters, but its output is never selected. Both
// paths are dense [N, N] masked attention, as in LRA's code.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { checkMask, headLayout, headLayoutProblem, headProjection, outputProjection, type Projection } from './heads.js';
import { globalPositions, slidingWindow } from './longformer-pattern.js';
import { lraSoftmaxAttention, maskedBias, paddingPairs } from './lra-attention.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface LongformerOptions {
  /** Width of queries, keys and values over all heads (LRA's qkv_dim); null means dModel. */
  qkvDim: number | null;
  /** Keys per query in the sliding window (LRA: 512). */
  window: number;
  /**
   * The first this many positions are global: they attend to every key, every query attends to
   * them, and their outputs come from the global projections. LRA: 0 (none); 1 makes a CLS
   * token global, as Longformer's paper does for classification.
   */
  globalTokens: number;
  /** Implementation followed: LRA's code (the only one). */
  impl: 'lra';
}

interface Path {
  query: Projection;
  key: Projection;
  value: Projection;
}

function createLongformer(args: MixerArgs, options: LongformerOptions): Mixer {
  const layout = headLayout(args, options.qkvDim);
  const path = (suffix: string): Path => ({
    query: headProjection(args, `query${suffix}`, layout),
    key: headProjection(args, `key${suffix}`, layout),
    value: headProjection(args, `value${suffix}`, layout),
  });
  const window = path('');
  const global = path('Global');
  const output = outputProjection(args, layout);
  const windows = new Map<number, Float32Array>();
  const windowFor = (length: number): Float32Array => {
    let allowed = windows.get(length);
    if (!allowed) {
      allowed = slidingWindow(length, options.window);
      windows.set(length, allowed);
    }
    return allowed;
  };

  const attend = (p: Path, x: tf.Tensor3D, allowed: tf.Tensor, ctx: ForwardContext): tf.Tensor3D =>
    lraSoftmaxAttention(
      { q: p.query.heads(x), k: p.key.heads(x), v: p.value.heads(x), heads: layout.heads, bias: maskedBias(allowed), dropoutRate: args.attentionDropout },
      ctx,
    );

  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      checkMask('longformer', x, mask);
      const [batch, length] = x.shape;
      return tf.tidy(() => {
        const padding = mask ? paddingPairs(mask) : null;
        const withPadding = (allowed: tf.Tensor): tf.Tensor => (padding ? tf.mul(allowed, padding) : allowed);
        const band = tf.tensor4d(windowFor(length), [1, 1, length, length]);
        const g = tf.tensor1d(globalPositions(length, options.globalTokens));
        // A pair is global when its query or its key is a global position.
        const globalPairs = tf.maximum(tf.reshape(g, [1, 1, length, 1]), tf.reshape(g, [1, 1, 1, length]));
        const slidingMixed = attend(window, x, withPadding(tf.maximum(band, globalPairs)), ctx);
        // Computed even without global positions, as LRA's code does: its output is then never
        // selected and the global projections get zero gradients (weight decay still applies).
        const globalMixed = attend(global, x, withPadding(globalPairs), ctx);
        // Global queries take the global path's output, the others the window's.
        const isGlobal = tf.reshape(tf.tile(tf.reshape(g, [1, length, 1]), [batch * layout.heads, 1, 1]), [batch * layout.heads, length, 1]);
        return output(tf.where(tf.cast(isGlobal, 'bool'), globalMixed, slidingMixed) as tf.Tensor3D);
      });
    },
  };
}

export const longformer: MixerSpec<LongformerOptions> = {
  name: 'longformer',
  title: 'Longformer (sliding window + global, LRA code)',
  paper: 'Beltagy, Peters and Cohan, "Longformer: The Long-Document Transformer", arXiv:2004.05150, 2020 (as run in Tay et al., LRA, ICLR 2021)',
  kind: 'attention',
  defaults: { window: 512, globalTokens: 0, qkvDim: null, impl: 'lra' },
  choices: { impl: ['lra'] },
  create: createLongformer,
  validate(args, options) {
    if (!Number.isInteger(options.window) || options.window < 1) return `window must be a positive integer, got ${options.window}`;
    if (!Number.isInteger(options.globalTokens) || options.globalTokens < 0) {
      return `globalTokens must be a non-negative integer, got ${options.globalTokens}`;
    }
    return headLayoutProblem(args, options.qkvDim);
  },
};
