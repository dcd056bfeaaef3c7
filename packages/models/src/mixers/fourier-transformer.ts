// Fourier Transformer (He et al., ACL 2023; LUMIA-Group/FourierTransformer LRA/code): in the
// chosen layers (LRA: layer 0 only) the sequence is low-passed and SHORTENED with the DCT before
// softmax attention: orthonormal DCT-II along tokens, keep the first ceil(keep * N) coefficients,
// orthonormal IDCT at that truncated length. Every other layer is plain softmax attention.
//
// As the reference: N counts the CLS token, which is split off before the DCT and put back in
// front afterwards; the residual path is the shortened input of the attention (the block's
// normalised x in a pre-LN block); the padding mask is dropped after the DCT. The IDCT at the
// shorter length is not rescaled (the reference does not), so the shortened tokens come out
// about sqrt(N / keep) larger. Unlike the reference, padded positions are zeroed before the DCT,
// so their contents reach no real token (their number still shapes the low-pass).
import * as tf from '@tensorflow/tfjs';
import { dct, idct } from '../spectral/index.js';
import { attention } from './attention.js';
import type { MixerInspection } from '../analysis/inspection.js';
import type { Mixer, MixerArgs, MixerSpec, OutputLengthContext } from './types.js';

export interface FourierTransformerOptions {
  /** Blocks (0-based) whose input is shortened by the DCT. */
  layers: number[];
  /** Fraction of the DCT coefficients kept (the reference's dct_percentage). */
  keep: number;
}

/** Number of DCT coefficients kept of n positions (CLS included), at most the number of tokens. */
export function keptCoefficients(n: number, keep: number, hasCls: boolean): number {
  return Math.min(Math.ceil(keep * n), n - (hasCls ? 1 : 0));
}

/** x [B, n, D] -> [B, n', D]: the tokens (CLS apart) low-passed to keptCoefficients of them. */
export function dctShorten(x: tf.Tensor3D, mask: tf.Tensor2D | null, keep: number, hasCls: boolean): tf.Tensor3D {
  return tf.tidy(() => {
    const [batch, length, width] = x.shape;
    const first = hasCls ? 1 : 0;
    const kept = keptCoefficients(length, keep, hasCls);
    const masked = mask ? tf.mul(x, tf.expandDims(mask, 2)) : x;
    const tokens = first ? tf.slice(masked, [0, first, 0], [batch, length - first, width]) : masked;
    const coefficients = tf.slice(dct(tokens, { axis: 1 }), [0, 0, 0], [batch, kept, width]);
    const short = idct(coefficients, { axis: 1 }) as tf.Tensor3D;
    return first ? (tf.concat([tf.slice(x, [0, 0, 0], [batch, 1, width]), short], 1) as tf.Tensor3D) : short;
  });
}

function createFourierTransformer(args: MixerArgs, options: FourierTransformerOptions): Mixer {
  const attend = attention.create(args, attention.defaults);
  if (!options.layers.includes(args.layer)) return attend;
  const hasCls = args.hasCls ?? false;
  return {
    residualFromMixerInput: true,
    residual: (x) => dctShorten(x, null, options.keep, hasCls),
    apply(x, mask, ctx) {
      return tf.tidy(() => attend.apply(dctShorten(x, mask, options.keep, hasCls), null, ctx));
    },
    inspect(x, mask, ctx): MixerInspection {
      const [batch, length, width] = x.shape;
      const first = hasCls ? 1 : 0;
      // The tokens' DCT energy per coefficient, as dctShorten sees them (padding zeroed).
      const energy = tf.tidy(() => {
        const masked = mask ? tf.mul(x, tf.expandDims(mask, 2)) : x;
        const tokens = first ? tf.slice(masked, [0, first, 0], [batch, length - first, width]) : masked;
        return tf.sum(tf.square(dct(tokens, { axis: 1 })), 2);
      });
      const coefficientEnergy = energy.dataSync() as Float32Array;
      energy.dispose();
      const short = dctShorten(x, mask, options.keep, hasCls);
      try {
        const inner = attend.inspect?.(short, null, ctx) ?? {};
        return {
          ...inner,
          dctEnergy: { length: length - first, kept: keptCoefficients(length, options.keep, hasCls), examples: batch, coefficientEnergy },
        };
      } finally {
        short.dispose();
      }
    },
  };
}

export const fourierTransformer: MixerSpec<FourierTransformerOptions> = {
  name: 'fourier-transformer',
  title: 'Fourier Transformer (DCT sequence downsampling + softmax attention)',
  paper:
    'He, Chen, Li, Qu, Zhao, Huang, "Fourier Transformer: Fast Long Range Modeling by Removing Sequence ' +
    'Redundancy with FFT Operator", Findings of ACL 2023',
  kind: 'spectral',
  defaults: { layers: [0], keep: 0.2 },
  // Its attention takes the encoder's rotary positions.
  rope: true,
  create: createFourierTransformer,
  validate(args, options) {
    const problem = attention.validate?.(args, attention.defaults) ?? null;
    if (problem) return problem;
    if (!(options.keep > 0 && options.keep <= 1)) return `keep must be in (0, 1], got ${options.keep}`;
    if (!options.layers.every((l) => Number.isInteger(l) && l >= 0)) {
      return `layers must hold block indices (integers >= 0), got ${JSON.stringify(options.layers)}`;
    }
    if (options.layers.includes(args.layer) && args.seqLen - (args.hasCls ? 1 : 0) < 1) {
      return `nothing to shorten at length ${args.seqLen}`;
    }
    return null;
  },
  outputLength(n: number, options: FourierTransformerOptions, context?: OutputLengthContext): number {
    // Without a context the encoder's first block is meant (the LRA setting shortens only it).
    const layer = context?.layer ?? 0;
    const hasCls = context?.hasCls ?? false;
    if (!options.layers.includes(layer)) return n;
    return keptCoefficients(n, options.keep, hasCls) + (hasCls ? 1 : 0);
  },
};
