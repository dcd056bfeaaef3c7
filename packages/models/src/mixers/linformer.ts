// Linformer (Wang et al. 2020): softmax attention over k projected keys and values,
// K' = E K and V' = E V, with one E (k x N) per layer shared between keys and values and
// across heads (the paper's "key-value" and "headwise" sharing). Linear in N for a fixed k.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { dense, type Dense } from '../nn/dense.js';
import { dropout } from '../nn/dropout.js';
import { normal, xavierUniform } from '../nn/initializers.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface LinformerOptions {
  /**
   * Projected length k (the paper: 256). A k above the sequence length would only add
   * redundant rows, so the projection has min(k, seqLen) rows: short tasks and tiny presets
   * then run the same configuration.
   */
  k: number;
}

/** Rows of E for a mixer created at this length. */
export function linformerRows(seqLen: number, options: LinformerOptions): number {
  return Math.min(options.k, seqLen);
}

function createLinformer(args: MixerArgs, options: LinformerOptions): Mixer {
  const { dModel, heads, seqLen } = args;
  const headDim = dModel / heads;
  const rows = linformerRows(seqLen, options);
  const init = { bias: false, kernelInit: xavierUniform() };
  const project = (name: string): Dense => dense(args.params, name, { inputDim: dModel, units: dModel, ...init });
  const query = project('query');
  const key = project('key');
  const value = project('value');
  const output = project('output');
  const compress = args.params.add('compress', [rows, seqLen], normal(0.02));

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
        // Padded keys and values are zeroed before E mixes positions, so they add nothing.
        if (mask) {
          const keep = tf.expandDims(mask, 2);
          k = tf.mul(k, keep);
          v = tf.mul(v, keep);
        }
        // A shorter input is a zero-padded one: E's first `length` columns.
        const e = (length === seqLen ? compress : tf.slice(compress, [0, 0], [rows, length])) as tf.Tensor2D;
        // One 2-D product per projection: E [k, N] @ K [N, B*D], tokens leading.
        const compressTokens = (t: tf.Tensor) =>
          tf.reshape(tf.matMul(e, tf.reshape(tf.transpose(t, [1, 0, 2]), [length, batch * dModel]) as tf.Tensor2D), [rows, batch, heads, headDim]);
        const kT3 = tf.reshape(tf.transpose(compressTokens(k), [1, 2, 3, 0]), [batch * heads, headDim, rows]) as tf.Tensor3D;
        const v3 = tf.reshape(tf.transpose(compressTokens(v), [1, 2, 0, 3]), [batch * heads, rows, headDim]) as tf.Tensor3D;
        const q3 = tf.reshape(tf.transpose(tf.reshape(q, [batch, length, heads, headDim]), [0, 2, 1, 3]), [batch * heads, length, headDim]) as tf.Tensor3D;
        const weights = dropout(tf.softmax(tf.matMul(q3, kT3)), args.attentionDropout, ctx) as tf.Tensor3D;
        const mixed = tf.reshape(tf.transpose(tf.reshape(tf.matMul(weights, v3), [batch, heads, length, headDim]), [0, 2, 1, 3]), [
          batch,
          length,
          dModel,
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
  defaults: { k: 256 },
  create: createLinformer,
  validate(args, options) {
    if (!Number.isInteger(options.k) || options.k < 1) return `k must be a positive integer, got ${options.k}`;
    if (args.dModel % args.heads !== 0) return `dModel ${args.dModel} is not divisible by ${args.heads} heads`;
    return null;
  },
};
