// The contract between the encoder and a token mixer. The encoder owns embeddings, positions,
// residuals, normalisation, dropout between blocks, pooling and the head; a mixer only mixes
// tokens, and never sees the task.
import type * as tf from '@tensorflow/tfjs';
import type { MixerInspection } from '../analysis/inspection.js';
import type { ForwardContext } from '../nn/context.js';
import type { Initializer } from '../nn/initializers.js';
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
  /**
   * Rotate queries and keys by position (RoPE): set by the encoder for positions 'rope', which
   * then adds no absolute positions. Only mixers whose spec declares `rope: true` receive it.
   */
  rope?: boolean;
  /** The model's seed, for draws a mixer fixes when it is created (random blocks, features). */
  seed?: number;
  /** Whether position 0 is the encoder's CLS token (pool 'cls'); default false. */
  hasCls?: boolean;
  /**
   * The style of the block around the mixer, for a mixer that owns its residual and normalises
   * where its block style says (Mega: pre-norm LN inside, or post-norm LN after). Absent in
   * tests that build a mixer alone: the mixer's spec's block style then.
   */
  blockStyle?: BlockStyle;
}

export interface Mixer {
  /**
   * x [B, N, D] -> [B, N', D], N' = N unless the spec declares outputLength.
   * mask: float32 [B, N], 1 = real token, 0 = padding; null when every position is real.
   */
  apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D;
  /**
   * Mixers that shorten the sequence map the block's input to their output length here, so the
   * residual path can be added to their output. The block hands it the padding mask apply()
   * got, so that the shortened residual can leave padding out exactly as the mixer does.
   */
  residual?(x: tf.Tensor3D, mask?: tf.Tensor2D | null): tf.Tensor3D;
  /**
   * Hand residual() what the mixer saw (LN(x) in a pre-LN block) instead of the block's input:
   * the Fourier Transformer's reference adds its shortened, normalised input. Default false.
   */
  residualFromMixerInput?: boolean;
  /**
   * The mixer's output already holds the first half of the block: residual, dropout and
   * normalisation included (FFTNet 177799f returns LN(x + dropout(y))). The block then feeds it
   * the block's input as is and continues with the feed-forward half. Default false.
   */
  ownsResidual?: boolean;
  /**
   * Where the block around this mixer departs from its style's usual block, to follow the
   * mixer's authors' code (set by a mixer option, e.g. FNet's or GFNet's impl 'reference').
   * Absent: the usual block.
   */
  blockRecipe?: BlockRecipe;
  /**
   * What the mixer learned, seen on the input x (the same x and mask apply() takes): its
   * filters, attention weights or impulse responses as plain arrays, computed without dropout.
   * Only mixers with something to show implement it; analysis probes every mixer through its
   * Jacobian regardless. Leaves no tensors behind.
   */
  inspect?(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): MixerInspection;
}

/** A block as a mixer's authors wrote it, where it differs from LRA's (see encoder/block.ts). */
export interface BlockRecipe {
  /** false: no dropout on the mixer's output (FNet's and GFNet's blocks have none). Default true. */
  mixerDropout?: boolean;
  /**
   * false: no residual around the mixer; the feed-forward's residual is the block's input,
   * x + FF(LN(mix(LN(x)))) (GFNet's Block). Pre-LN blocks only. Default true.
   */
  mixerResidual?: boolean;
  /**
   * The feed-forward half's norm: 'scale' for fairseq's ScaleNorm (one scalar, Mega's norm_type
   * 'scalenorm'), with the block's eps. Default 'layer' (LayerNorm).
   */
  feedForwardNorm?: 'layer' | 'scale';
  /** The feed-forward's parameters and dropout, where they are not LRA's MlpBlock's. */
  feedForward?: {
    kernelInit?: Initializer;
    biasInit?: Initializer;
    /** The output Dense's bias; default biasInit. */
    outputBiasInit?: Initializer;
    /** false: dropout only after the output Dense, none after the activation (FNet). Default true. */
    hiddenDropout?: boolean;
    /** The hidden activation; default 'gelu' (LRA's MlpBlock); Mega's is 'silu'. */
    activation?: 'gelu' | 'silu';
  };
}

/** What the encoder knows about a block when it asks for the block's output length. */
export interface OutputLengthContext {
  layer: number;
  hasCls: boolean;
}

export type MixerKind = 'attention' | 'spectral' | 'convolution' | 'state-space' | 'mlp';
export type BlockStyle = 'pre-ln' | 'post-ln';
/**
 * 'transformer': LRA's encoder (blocks of mixer and feed-forward, LRA's head). 'ssm': the
 * backbone state-spaces/s4 trains its LRA models with (residual blocks around the mixer alone,
 * layer or batch norm, no feed-forward, S4's decoder); see encoder/ssm-block.ts.
 */
export type Backbone = 'transformer' | 'ssm';

export interface MixerSpec<O extends object> {
  name: string;
  title: string;
  /** Citation of the paper the mixer follows. */
  paper: string;
  kind: MixerKind;
  /** Every option with its default: the option keys and their value types are read from here. */
  defaults: O;
  /** Options that also take null (with a non-null default; a null default is nullable already). */
  nullable?: readonly (keyof O)[];
  /** Allowed values of string options, checked when options are resolved. */
  choices?: { readonly [K in keyof O]?: readonly O[K][] };
  /** The block style its paper uses; default pre-ln. */
  block?: BlockStyle;
  /** The backbone its authors train it in, when a config names none; default 'transformer'. */
  backbone?: Backbone;
  /** LayerNorm eps its paper uses (FNet: 1e-12), when the config sets none; default 1e-6. */
  layerNormEps?: number;
  /** Whether it can take rotary positions (MixerArgs.rope); the encoder refuses 'rope' otherwise. */
  rope?: boolean;
  /**
   * Set when its implementation 'auto' computes its quadratic (or N x large k) tensors in blocks
   * above a fixed size, so that its peak memory grows no faster than N from there on; an
   * implementation option set to 'dense' gives up the bound. The benchmark then does not
   * extrapolate the quadratic growth it measured at short lengths into memory it will not use.
   */
  linearMemory?: boolean;
  create(args: MixerArgs, options: O): Mixer;
  /** Why these args or options cannot work (e.g. a length it cannot take), or null. */
  validate?(args: MixerArgs, options: O): string | null;
  /** Mixers that shorten the sequence declare the length they return for an input length n. */
  outputLength?(n: number, options: O, context?: OutputLengthContext): number;
}
