// The contract between the encoder and a token mixer. The encoder owns embeddings, positions,
// residuals, normalisation, dropout between blocks, pooling and the head; a mixer only mixes
// tokens, and never sees the task.
import type * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import type { ParamScope } from '../nn/params.js';

export interface MixerArgs {
  dModel: number;
  heads: number;
  /** The length this mixer sees, including a CLS token when the encoder prepends one. */
  seqLen: number;
  dropout: number;
  attentionDropout: number;
  /** Where the mixer creates its parameters (already scoped to this block's mixer). */
  params: ParamScope;
  /** Index of the block (0-based), for mixers that act differently in some layers. */
  layer: number;
}

export interface Mixer {
  /**
   * x [B, N, D] -> [B, N', D], N' = N unless the spec declares outputLength.
   * mask: float32 [B, N], 1 = real token, 0 = padding; null when every position is real.
   */
  apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D;
  /**
   * Mixers that shorten the sequence map the block's input to their output length here, so the
   * residual path can be added to their output.
   */
  residual?(x: tf.Tensor3D): tf.Tensor3D;
}

export type MixerKind = 'attention' | 'spectral' | 'convolution' | 'state-space' | 'mlp';
export type BlockStyle = 'pre-ln' | 'post-ln';

export interface MixerSpec<O extends object> {
  name: string;
  title: string;
  /** Citation of the paper the mixer follows. */
  paper: string;
  kind: MixerKind;
  /** Every option with its default: the option keys and their value types are read from here. */
  defaults: O;
  /** Allowed values of string options, checked when options are resolved. */
  choices?: { readonly [K in keyof O]?: readonly O[K][] };
  /** The block style its paper uses; default pre-ln. */
  block?: BlockStyle;
  create(args: MixerArgs, options: O): Mixer;
  /** Why these args or options cannot work (e.g. a length it cannot take), or null. */
  validate?(args: MixerArgs, options: O): string | null;
  /** Mixers that shorten the sequence declare the length they return for an input length n. */
  outputLength?(n: number, options: O): number;
}
