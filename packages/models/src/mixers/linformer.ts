// Linformer (Wang et al. 2020): softmax attention over k projected keys and values,
// K' = E K and V' = E V, with one E (k x N) per layer shared between keys and values and
// across heads (the paper's "key-value" and "headwise" sharing). Linear in N for a fixed k.
//
// impl 'lra' is the Long Range Arena's own code (models/linformer/linformer_attention.py), the
// model behind the LRA paper's Table 1 row. Like clean, one E per layer is shared between keys
// and values and across heads (LRA's lr_kernel [max_len, k] is our E transposed, sliced to the
// input's length the same way). It differs in three ways: E is initialised xavier-uniform
// (clean: normal(0.02)); it always has k rows, k defaulting to 16 (LRA's low_rank_features,
// which no LRA config changes: the text config's low_rank_features = 32 never reaches the
// model), where clean defaults to 256 and caps k at the sequence length; and there is no padding
// mask, so padded keys and values are mixed into E K and E V like real ones.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { dense, type Dense } from '../nn/dense.js';
import { dropout } from '../nn/dropout.js';
import { normal, xavierUniform } from '../nn/initializers.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface LinformerOptions {
  /**
   * Projected length k; null takes the impl's default (clean: the paper's 256; lra: 16). With
   * impl 'clean' a k above the sequence length would only add redundant rows, so the projection
   * has min(k, seqLen) rows: short tasks and tiny presets then run the same configuration.
   * impl 'lra' keeps all k rows, as LRA's code does.
   */
  k: number | null;
  /** 'clean' as above; 'lra' reproduces LRA's code (see the top of this file). */
  impl: 'clean' | 'lra';
  /** Width of queries, keys and values over all heads (LRA's qkv_dim); null: dModel. */
  qkvDim: number | null;
}

/** k when the options leave it null: the paper's 256, or LRA's low_rank_features 16. */
export const LINFORMER_DEFAULT_K = { clean: 256, lra: 16 } as const;

/** Rows of E for a mixer created at this length. */
export function linformerRows(seqLen: number, options: { k: number | null; impl?: LinformerOptions['impl'] }): number {
  const impl = options.impl ?? 'clean';
  const k = options.k ?? LINFORMER_DEFAULT_K[impl];
  return impl === 'lra' ? k : Math.min(k, seqLen);
}

function createLinformer(args: MixerArgs, options: LinformerOptions): Mixer {
  const { dModel, heads, seqLen } = args;
  const qkv = options.qkvDim ?? dModel;
  const headDim = qkv / heads;
  const lra = options.impl === 'lra';
  const rows = linformerRows(seqLen, options);
  const init = { bias: false, kernelInit: xavierUniform() };
  const project = (name: string): Dense => dense(args.params, name, { inputDim: dModel, units: qkv, ...init });
  const query = project('query');
  const key = project('key');
  const value = project('value');
  const output = dense(args.params, 'output', { inputDim: qkv, units: dModel, ...init });
  // xavier-uniform's limit is symmetric in the two fans, so E [k, N] draws as LRA's [N, k] does.
  const compress = args.params.add('compress', [rows, seqLen], lra ? xavierUniform() : normal(0.02));

  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      const [batch, length] = x.shape;
      if (length > seqLen) throw new Error(`linformer: its projection E is fixed to ${seqLen} positions, got ${length}`);
      if (mask && (mask.shape[0] !== batch || mask.shape[1] !== length)) {
        throw new Error(`linformer: mask shape [${mask.shape}] does not match input [${batch}, ${length}]`);
      }
      return tf.tidy(() => {
        const q = tf.mul(query.apply(x), 1 / Math.sqrt(headDim));
        let k: tf.Tensor = key.apply(x);
        let v: tf.Tensor = value.apply(x);
        // Padded keys and values are zeroed before E mixes positions, so they add nothing
        // (LRA's code skips this).
        if (mask && !lra) {
          const keep = tf.expandDims(mask, 2);
          k = tf.mul(k, keep);
          v = tf.mul(v, keep);
        }
        // A shorter input is a zero-padded one: E's first `length` columns.
        const e = (length === seqLen ? compress : tf.slice(compress, [0, 0], [rows, length])) as tf.Tensor2D;
        // One 2-D product per projection: E [k, N] @ K [N, B*D], tokens leading.
        const compressTokens = (t: tf.Tensor) =>
          tf.reshape(tf.matMul(e, tf.reshape(tf.transpose(t, [1, 0, 2]), [length, batch * qkv]) as tf.Tensor2D), [rows, batch, heads, headDim]);
        const kT3 = tf.reshape(tf.transpose(compressTokens(k), [1, 2, 3, 0]), [batch * heads, headDim, rows]) as tf.Tensor3D;
        const v3 = tf.reshape(tf.transpose(compressTokens(v), [1, 2, 0, 3]), [batch * heads, rows, headDim]) as tf.Tensor3D;
        const q3 = tf.reshape(tf.transpose(tf.reshape(q, [batch, length, heads, headDim]), [0, 2, 1, 3]), [batch * heads, length, headDim]) as tf.Tensor3D;
        const weights = dropout(tf.softmax(tf.matMul(q3, kT3)), args.attentionDropout, ctx) as tf.Tensor3D;
        const mixed = tf.reshape(tf.transpose(tf.reshape(tf.matMul(weights, v3), [batch, heads, length, headDim]), [0, 2, 1, 3]), [
          batch,
          length,
          qkv,
        ]) as tf.Tensor3D;
        return output.apply(mixed);
      });
    },
  };
}

export const linformer: MixerSpec<LinformerOptions> = {
  name: 'linformer',
  title: 'Linformer (low-rank projected attention)',
  paper: 'Wang, Li, Khabsa, Fang and Ma, "Linformer: Self-Attention with Linear Complexity", arXiv:2006.04768, 2020',
  kind: 'attention',
  // k null: 256 with impl 'clean', 16 with impl 'lra'; a k the config sets applies to both.
  defaults: { k: null, impl: 'clean', qkvDim: null },
  choices: { impl: ['clean', 'lra'] },
  create: createLinformer,
  validate(args, options) {
    if (options.k !== null && (!Number.isInteger(options.k) || options.k < 1)) return `k must be a positive integer, got ${options.k}`;
    const qkv = options.qkvDim ?? args.dModel;
    if (!Number.isInteger(qkv) || qkv < 1) return `qkvDim must be a positive integer, got ${options.qkvDim}`;
    if (qkv % args.heads !== 0) return `${options.qkvDim === null ? 'dModel' : 'qkvDim'} ${qkv} is not divisible by ${args.heads} heads`;
    return null;
  },
};
