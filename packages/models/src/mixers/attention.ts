// Multi-head softmax attention (Vaswani et al. 2017) as LRA's Transformer uses it: projections
// without bias, xavier-uniform kernels, padded keys masked additively, dropout on the weights.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { dense, type Dense } from '../nn/dense.js';
import { forwardIsNested } from '../backend/fused/higher-order.js';
import { dropout } from '../nn/dropout.js';
import { blockedAttention } from '../nn/flash-attention.js';
import { fusedAttention } from '../nn/fused-attention.js';
import { fusedAttentionUnavailable } from '../backend/fused/fused-attention.js';
import { normal, xavierUniform } from '../nn/initializers.js';
import { applyRotary, rotaryTables, type RotaryTables } from '../nn/rotary.js';
import type { MixerInspection } from '../analysis/inspection.js';
import { uniformPaddedRows, withLraPaddedRows } from './attention-lra.js';
import { attentionPlanProblem, planAttention, type AttentionImplementation } from './attention-plan.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface AttentionOptions {
  /** Width of queries, keys and values over all heads; null means dModel. */
  qkvDim: number | null;
  /**
   * 'rope' rotates queries and keys by position (interleaved pairs); 'none' leaves them, unless
   * the encoder asks for rotary positions (its positions 'rope'): either way they rotate once.
   */
  positions: 'none' | 'rope';
  /** Biases on the four projections (LRA: none). */
  bias: boolean;
  /**
   * 'dense' holds the [B*H, N, N] weights; 'blocked' never does (FlashAttention's blocks and
   * online softmax, same values and gradients); 'fused' never does either, in two wasm kernels
   * (nn/fused-attention.ts; wasm only); 'auto' takes fused on wasm, elsewhere goes blocked when
   * the weights would be large (attention-plan.ts).
   * inspect() is always dense.
   */
  implementation: AttentionImplementation;
  /** Queries and keys per block of the blocked path; null: sized from the batch and length. */
  blockSize: number | null;
  keyBlockSize: number | null;
  /**
   * 'clean': padded queries attend to the real keys, like real ones. 'lra': what LRA's code
   * (flax.deprecated.nn.SelfAttention) computes: a pair is masked unless both tokens are real, so
   * a padded query's row is the mean of every value, padded ones included (attention-lra.ts).
   * That row matters under LRA's mean pooling, which counts padding. Everything else is shared:
   * LRA's projections have no bias either (bias=False), its dropout is on the weights as here
   * (not broadcast), and its -1e10 key bias weighs padded keys of real queries 0 as -1e9 does.
   * Under attention dropout LRA also drops a padded row's uniform weights; here that row keeps
   * its expectation, since its weights never exist as a tensor on either path.
   */
  impl: 'clean' | 'lra';
}

type Heads = { q3: tf.Tensor3D; kT3: tf.Tensor3D; v3: tf.Tensor3D; keyBias: tf.Tensor2D | null };

// Large and finite: -Infinity on a row whose keys are all padding would give 0/0 = NaN.
export const MASKED_SCORE = -1e9;

function qkvWidth(args: MixerArgs, options: AttentionOptions): number {
  return options.qkvDim ?? args.dModel;
}

function createAttention(args: MixerArgs, options: AttentionOptions): Mixer {
  const { dModel, heads } = args;
  const width = qkvWidth(args, options);
  const headDim = width / heads;
  const init = { bias: options.bias, kernelInit: xavierUniform(), biasInit: normal(1e-6) };
  const project = (name: string, inputDim: number, units: number): Dense =>
    dense(args.params, name, { inputDim, units, ...init });
  const query = project('query', dModel, width);
  const key = project('key', dModel, width);
  const value = project('value', dModel, width);
  const output = project('output', width, dModel);
  const rotate = options.positions === 'rope' || args.rope === true;
  const rotary = new Map<number, RotaryTables>();
  const rotaryFor = (length: number): RotaryTables => {
    let tables = rotary.get(length);
    if (!tables) {
      tables = rotaryTables(length, headDim);
      rotary.set(length, tables);
    }
    return tables;
  };

  /**
   * Queries (scaled, rotated) [B*H, N, d], keys laid out transposed [B*H, d, N] (so Q K^T needs
   * no transposeB, slow on wasm with small head widths), values [B*H, N, d] and the additive key
   * bias [B, N] (null without a mask). Call inside tf.tidy.
   */
  const headsOf = (x: tf.Tensor3D, mask: tf.Tensor2D | null): Heads => {
    const [batch, length] = x.shape;
    if (mask && (mask.shape[0] !== batch || mask.shape[1] !== length)) {
      throw new Error(`attention: mask shape [${mask.shape}] does not match input [${batch}, ${length}]`);
    }
    const split = (t: tf.Tensor3D): tf.Tensor4D => {
      const heads4 = tf.reshape(t, [batch, length, heads, headDim]) as tf.Tensor4D;
      return rotate ? applyRotary(heads4, rotaryFor(length)) : heads4;
    };
    // Scaling q (N d values) is cheaper than scaling the scores (N^2).
    const q = split(tf.mul(query.apply(x), 1 / Math.sqrt(headDim)));
    const k = split(key.apply(x));
    const v = tf.reshape(value.apply(x), [batch, length, heads, headDim]);
    return {
      q3: tf.reshape(tf.transpose(q, [0, 2, 1, 3]), [batch * heads, length, headDim]) as tf.Tensor3D,
      kT3: tf.reshape(tf.transpose(k, [0, 2, 3, 1]), [batch * heads, headDim, length]) as tf.Tensor3D,
      v3: tf.reshape(tf.transpose(v, [0, 2, 1, 3]), [batch * heads, length, headDim]) as tf.Tensor3D,
      keyBias: mask ? (tf.mul(tf.sub(1, mask), MASKED_SCORE) as tf.Tensor2D) : null,
    };
  };

  /** Softmax weights [B*H, N, N] (before dropout) and values [B*H, N, d] of x. Call inside tf.tidy. */
  const weightsAndValues = (x: tf.Tensor3D, mask: tf.Tensor2D | null, of: Heads = headsOf(x, mask)): { weights: tf.Tensor3D; v3: tf.Tensor3D } => {
    const [batch, length] = x.shape;
    const { q3, kT3, v3, keyBias } = of;
    let scores: tf.Tensor = tf.matMul(q3, kT3);
    if (keyBias) {
      scores = tf.reshape(tf.add(tf.reshape(scores, [batch, heads, length, length]), tf.reshape(keyBias, [batch, 1, 1, length])), [
        batch * heads,
        length,
        length,
      ]);
    }
    return { weights: tf.softmax(scores) as tf.Tensor3D, v3 };
  };

  /** The weights' dropout of a pass, its seed drawn exactly where the dense path's dropout() draws it, so later seeds agree. */
  const weightsDropout = (ctx: ForwardContext): { rate: number; seed: number; exampleOffset: number } | null => {
    const rate = args.attentionDropout;
    return ctx.training && rate > 0 ? { rate, seed: ctx.nextSeed(), exampleOffset: ctx.examples?.offset ?? 0 } : null;
  };

  /** Attention of every head [B*H, N, d], blocked: its weights are never whole. Call inside tf.tidy. */
  const blockedMix = (of: Heads, ctx: ForwardContext, blocks: { queryBlock: number; keyBlock: number }): tf.Tensor3D => {
    const { q3, kT3, v3, keyBias } = of;
    return blockedAttention(q3, kT3, v3, keyBias, { heads, ...blocks, dropout: weightsDropout(ctx) });
  };

  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      const [batch, length] = x.shape;
      const nested = forwardIsNested();
      // Asked only where the fused path could be taken: 'auto' or 'fused', outside a second derivative.
      const fusedProblem = options.implementation === 'auto' || options.implementation === 'fused' ? fusedAttentionUnavailable() : 'not asked';
      const plan = planAttention(heads, length, options, nested, fusedProblem);
      return tf.tidy(() => {
        const of = headsOf(x, mask);
        let mixed: tf.Tensor3D;
        if (plan.kind === 'blocked') mixed = blockedMix(of, ctx, plan);
        else if (plan.kind === 'fused') mixed = fusedAttention(of.q3, of.kT3, of.v3, of.keyBias, { heads, dropout: weightsDropout(ctx) });
        else {
          const { weights: probabilities, v3 } = weightsAndValues(x, mask, of);
          mixed = tf.matMul(dropout(probabilities, args.attentionDropout, ctx) as tf.Tensor3D, v3);
        }
        if (options.impl === 'lra' && mask) mixed = withLraPaddedRows(mixed, of, mask, heads);
        const merged = tf.reshape(tf.transpose(tf.reshape(mixed, [batch, heads, length, headDim]), [0, 2, 1, 3]), [
          batch,
          length,
          width,
        ]) as tf.Tensor3D;
        return output.apply(merged);
      });
    },
    inspect(x: tf.Tensor3D, mask: tf.Tensor2D | null): MixerInspection {
      const [batch, length] = x.shape;
      const probabilities = tf.tidy(() => weightsAndValues(x, mask).weights);
      const values = (probabilities.dataSync() as Float32Array).slice();
      probabilities.dispose();
      if (options.impl === 'lra' && mask) uniformPaddedRows(values, mask.dataSync() as Float32Array, heads, length);
      return {
        attention: {
          examples: batch,
          heads,
          queries: length,
          keys: length,
          probabilities: values,
          queryMask: mask ? (mask.dataSync() as Float32Array).slice() : null,
        },
      };
    },
  };
}

export const attention: MixerSpec<AttentionOptions> = {
  name: 'attention',
  title: 'Softmax attention',
  paper: 'Vaswani et al., "Attention Is All You Need", NeurIPS 2017',
  kind: 'attention',
  defaults: { qkvDim: null, positions: 'none', bias: false, implementation: 'auto', blockSize: null, keyBlockSize: null, impl: 'clean' },
  choices: { positions: ['none', 'rope'], implementation: ['auto', 'dense', 'blocked', 'fused'], impl: ['clean', 'lra'] },
  block: 'pre-ln',
  rope: true,
  linearMemory: true,
  create: createAttention,
  validate(args, options) {
    const width = qkvWidth(args, options);
    if (!Number.isInteger(width) || width <= 0) return `qkvDim must be a positive integer, got ${width}`;
    if (width % args.heads !== 0) return `qkvDim ${width} is not divisible by ${args.heads} heads`;
    if ((options.positions === 'rope' || args.rope) && (width / args.heads) % 2 !== 0) {
      return `rope needs an even head width; qkvDim ${width} / ${args.heads} heads = ${width / args.heads}`;
    }
    return attentionPlanProblem(options);
  },
};
