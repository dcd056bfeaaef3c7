// Mega (Ma et al., ICLR 2023; facebookresearch/mega fairseq/modules/
// moving_average_gated_attention.py, MovingAverageGatedAttention), with x the block's input:
//   x' = LN(x) (pre-norm) or x (post-norm);  v = silu(x' W_v)
//   x'' = EMA(x') (mega-ema.ts);  [u, z, r, hx] = split(x'' W_mx): u = sigmoid, z, r = silu
//   q = z * gamma_0 + beta_0,  k = z * gamma_1 + beta_1
//   h = silu(hx + (attention(q, k, v) * r) W_h)  (mega-attention.ts, one head)
//   o = x + u * (h - x) = u * h + (1 - u) * x;   post-norm: o = LN(o)
//
// The layer holds its own residual and norm, so the mixer owns its residual (Mixer.ownsResidual):
// the block applies it to its input as is and adds the feed-forward half of its style, which with
// Mega's block recipe (silu, normal(0.02) kernels, zero biases, no hidden dropout) is the
// reference's NormalizedFeedForwardNetwork: post-norm LN(o + FF(o)), pre-norm o + FF(LN(o)).
// Whether the norm comes before or after (the reference's normalize_before) is the block style the
// encoder builds (MixerArgs.blockStyle; post-ln, as Mega's ListOps, when none is given). Under
// pre-ln the encoder's final norm is its LayerNorm, whatever normType says (the reference's
// final_norm follows norm_type; its pre-norm LRA configs use batch norms, not ported).
// The reference's LRA Adam decays every parameter: none is exempt here either.
import * as tf from '@tensorflow/tfjs';
import type { MixerInspection } from '../analysis/inspection.js';
import { inferenceContext, type ForwardContext } from '../nn/context.js';
import { dense, type Dense } from '../nn/dense.js';
import { dropout } from '../nn/dropout.js';
import { normal, zeros } from '../nn/initializers.js';
import { layerNorm } from '../nn/layer-norm.js';
import { scaleNorm } from '../nn/scale-norm.js';
import {
  megaAttention,
  megaAttentionWeights,
  megaChunkLength,
  type MegaAttentionActivation,
  type MegaAttentionOptions,
} from './mega-attention.js';
import { megaEma, megaEmaKernel, megaEmaParams, megaEmaTaps, twoSidedCoefficients } from './mega-ema.js';
import { relativePositionBias, type MegaRelativePositions } from './mega-positions.js';
import type { BlockRecipe, Mixer, MixerArgs, MixerSpec } from './types.js';

export interface MegaOptions {
  /** Width of the shared representation z, queries and keys (the reference's z_dim). */
  zDim: number;
  /** Width of the values and of the reset gate r (the reference's encoder_hidden_dim). */
  hiddenDim: number;
  /** EMA components per channel (the reference's n_dim). */
  emaDim: number;
  /** Attention within non-overlapping chunks of this many positions; -1 or 0: over the whole sequence. */
  chunkSize: number;
  /** EMA kernel taps, min(truncation, L) (the reference's truncation_length); null: L. */
  truncation: number | null;
  attentionActivation: MegaAttentionActivation;
  relativePositions: MegaRelativePositions;
  /** A second EMA kernel run backwards (the reference's encoder layers are bidirectional). */
  bidirectional: boolean;
  /** Dropout on the values (the reference's hidden_dropout, its act_dropout). */
  hiddenDropout: number;
  /**
   * The layer's and its feed-forward's norm (the reference's norm_type): 'layernorm' (ListOps'
   * command) or 'scalenorm' (its text and retrieval configs), both with eps 1e-5.
   */
  normType: 'layernorm' | 'scalenorm';
}

// The reference's SequenceNorm builds fairseq's LayerNorm with eps 1e-5.
const MEGA_LAYER_NORM_EPS = 1e-5;
const INIT_STD = 0.02;

/** The NormalizedFeedForwardNetwork that follows the layer, as the encoder block's feed-forward. */
function megaBlock(normType: MegaOptions['normType']): BlockRecipe {
  return {
    feedForward: { kernelInit: normal(INIT_STD), biasInit: zeros(), hiddenDropout: false, activation: 'silu' },
    feedForwardNorm: normType === 'scalenorm' ? 'scale' : 'layer',
  };
}

const silu = (t: tf.Tensor): tf.Tensor => tf.mul(t, tf.sigmoid(t));

function createMega(args: MixerArgs, options: MegaOptions): Mixer {
  const { dModel, seqLen } = args;
  const { zDim, hiddenDim } = options;
  const p = args.params;
  const prenorm = (args.blockStyle ?? mega.block) === 'pre-ln';
  const linear = (name: string, inputDim: number, units: number): Dense =>
    dense(p, name, { inputDim, units, kernelInit: normal(INIT_STD), biasInit: zeros() });

  const norm = options.normType === 'scalenorm' ? scaleNorm(p, 'norm', MEGA_LAYER_NORM_EPS) : layerNorm(p, 'norm', dModel, MEGA_LAYER_NORM_EPS);
  const ema = megaEmaParams(p.scope('ema'), dModel, options.emaDim, options.bidirectional);
  const vProj = linear('vProj', dModel, hiddenDim);
  const mxProj = linear('mxProj', dModel, 2 * dModel + zDim + hiddenDim);
  const hProj = linear('hProj', hiddenDim, dModel);
  const qkGamma = p.add('qkGamma', [2, zDim], normal(INIT_STD));
  const qkBeta = p.add('qkBeta', [2, zDim], zeros());
  const maxPositions = megaChunkLength(seqLen, options.chunkSize);
  const positions = relativePositionBias(p.scope('relativePosition'), options.relativePositions, zDim, maxPositions);
  const emaOptions = { bidirectional: options.bidirectional, truncation: options.truncation };
  const attentionOptions: MegaAttentionOptions = {
    chunkSize: options.chunkSize,
    activation: options.attentionActivation,
    positions,
    attentionDropout: args.attentionDropout,
  };

  /** Everything the attention needs, from the block's input x. Call inside tf.tidy. */
  const projections = (x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext) => {
    const normed = prenorm ? norm.apply(x) : x;
    const v = silu(vProj.apply(normed)) as tf.Tensor3D;
    const mx = dropout(megaEma(ema, normed, mask, emaOptions), args.dropout, ctx);
    const [uLogits, zr, hx] = tf.split(mxProj.apply(mx), [dModel, zDim + hiddenDim, dModel], 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
    const [z, r] = tf.split(silu(zr), [zDim, hiddenDim], 2) as [tf.Tensor3D, tf.Tensor3D];
    const [gammaQ, gammaK] = tf.unstack(qkGamma);
    const [betaQ, betaK] = tf.unstack(qkBeta);
    const q = tf.add(tf.mul(z, gammaQ!), betaQ!) as tf.Tensor3D;
    const k = tf.add(tf.mul(z, gammaK!), betaK!) as tf.Tensor3D;
    return { uLogits, r, hx, v, q, k };
  };

  return {
    ownsResidual: true,
    blockRecipe: megaBlock(options.normType),
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      const [batch, length] = x.shape;
      if (length > seqLen) throw new Error(`mega: input length ${length} exceeds the length ${seqLen} it was built for`);
      if (mask && (mask.shape[0] !== batch || mask.shape[1] !== length)) {
        throw new Error(`mega: mask shape [${mask.shape}] does not match input [${batch}, ${length}]`);
      }
      return tf.tidy(() => {
        const { uLogits, r, hx, v, q, k } = projections(x, mask, ctx);
        const attended = megaAttention(q, k, dropout(v, options.hiddenDropout, ctx), mask, attentionOptions, ctx);
        const h = dropout(silu(tf.add(hx, hProj.apply(tf.mul(attended, r)))), args.dropout, ctx);
        const out = tf.add(x, tf.mul(tf.sigmoid(uLogits), tf.sub(h, x))) as tf.Tensor3D;
        return prenorm ? out : norm.apply(out);
      });
    },
    inspect(x: tf.Tensor3D, mask: tf.Tensor2D | null): MixerInspection {
      const [batch, length] = x.shape;
      // The EMA's impulse response before its SiLU, with omega at lag 0, by offset i - j:
      // bidirectional, the backward kernel at negative offsets (later inputs).
      const response = tf.tidy(() => {
        const kernel = megaEmaKernel(ema, megaEmaTaps(length, options.truncation));
        const lag0 = tf.concat([tf.ones([1, 1]), tf.zeros([1, length - 1])], 1);
        const skip = tf.mul(tf.reshape(ema.omega, [dModel, 1]), lag0);
        const forward = tf.slice(kernel, [0, 0], [dModel, -1]);
        const padded = tf.pad(forward, [[0, 0], [0, length - forward.shape[1]]]);
        if (!options.bidirectional) return tf.add(padded, skip);
        const backward = tf.slice(kernel, [dModel, 0], [dModel, -1]) as tf.Tensor2D;
        // toeplitz coefficients are by offset j - i: reversed, by i - j.
        const centre = tf.concat([tf.zeros([dModel, length - 1]), skip], 1);
        return tf.add(tf.reverse(twoSidedCoefficients(forward as tf.Tensor2D, backward, length), -1), centre);
      });
      const values = response.dataSync() as Float32Array;
      const span = response.shape[1]!;
      response.dispose();
      // Softmax weights as one [N, N] map per example (zero between chunks); laplace weights do
      // not sum to 1 over a row, so they are not shown as attention.
      let attention: MixerInspection['attention'];
      if (options.attentionActivation === 'softmax') {
        const weights = tf.tidy(() => {
          const { q, k } = projections(x, mask, inferenceContext());
          return megaAttentionWeights(q, k, mask, attentionOptions);
        });
        const chunk = weights.shape[1]!;
        const chunks = weights.shape[0]! / batch;
        const blocks = weights.dataSync() as Float32Array;
        weights.dispose();
        const probabilities = new Float32Array(batch * length * length);
        for (let b = 0; b < batch; b++) {
          for (let c = 0; c < chunks; c++) {
            for (let i = 0; i < chunk && c * chunk + i < length; i++) {
              for (let j = 0; j < chunk && c * chunk + j < length; j++) {
                probabilities[(b * length + c * chunk + i) * length + c * chunk + j] = blocks[((b * chunks + c) * chunk + i) * chunk + j]!;
              }
            }
          }
        }
        const queryMask = mask ? (mask.dataSync() as Float32Array).slice() : null;
        attention = { examples: batch, heads: 1, queries: length, keys: length, probabilities, queryMask };
      }
      return {
        ...(attention ? { attention } : {}),
        impulseResponses: [
          {
            name: options.bidirectional ? 'EMA kernel + omega skip (two-sided)' : 'EMA kernel + omega skip (causal)',
            channels: dModel,
            firstOffset: length - span,
            length: span,
            values,
          },
        ],
      };
    },
  };
}

const positiveInteger = (value: number): boolean => Number.isInteger(value) && value > 0;

export const mega: MixerSpec<MegaOptions> = {
  name: 'mega',
  title: 'Mega (moving average equipped gated attention)',
  paper: 'Ma, Zhou, Kong, He, Gui, Neubig, May, Zettlemoyer, "Mega: Moving Average Equipped Gated Attention", ICLR 2023',
  kind: 'state-space',
  // Mega's ListOps (mega_lra_listop and its README command): z 64, hidden 160, n_dim 16, no
  // chunks, truncation 1024, softmax, simple bias, post-norm LayerNorm, act_dropout 0.
  defaults: {
    zDim: 64,
    hiddenDim: 160,
    emaDim: 16,
    chunkSize: -1,
    truncation: 1024,
    attentionActivation: 'softmax',
    relativePositions: 'simple',
    bidirectional: true,
    hiddenDropout: 0,
    normType: 'layernorm',
  },
  nullable: ['truncation'],
  choices: { attentionActivation: ['softmax', 'laplace'], relativePositions: ['simple', 'rotary'], normType: ['layernorm', 'scalenorm'] },
  block: 'post-ln',
  layerNormEps: MEGA_LAYER_NORM_EPS,
  create: createMega,
  validate(_args, options) {
    for (const key of ['zDim', 'hiddenDim', 'emaDim'] as const) {
      if (!positiveInteger(options[key])) return `${key} must be a positive integer, got ${options[key]}`;
    }
    if (!(Number.isInteger(options.chunkSize) && options.chunkSize >= -1)) {
      return `chunkSize must be -1 or 0 (no chunks) or a positive integer, got ${options.chunkSize}`;
    }
    if (options.truncation !== null && !positiveInteger(options.truncation)) {
      return `truncation must be a positive integer or null, got ${options.truncation}`;
    }
    if (options.relativePositions === 'rotary' && options.zDim % 2 !== 0) {
      return `rotary positions need an even zDim, got ${options.zDim}`;
    }
    if (!(options.hiddenDropout >= 0 && options.hiddenDropout < 1)) return `hiddenDropout must be in [0, 1), got ${options.hiddenDropout}`;
    return null;
  },
};
