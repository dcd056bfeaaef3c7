// Fourier Transformer (He et al., ACL 2023; LUMIA-Group/FourierTransformer LRA/code): in the
// chosen layers (LRA: layer 0 only) the sequence is low-passed and SHORTENED with the DCT before
// softmax attention: orthonormal DCT-II along tokens, keep the first ceil(keep * N) coefficients,
// orthonormal IDCT at that truncated length. Every other layer is plain softmax attention.
//
// As the reference: N counts the CLS token, which is split off before the DCT and put back in
// front afterwards; the residual path is the shortened input of the attention (the block's
// normalised x in a pre-LN block); the padding mask is dropped after the DCT. The IDCT at the
// shorter length is not rescaled (the reference does not), so the shortened tokens come out
// about sqrt(N / keep) larger.
//
// Two implementations (option `impl`):
// - 'clean' (default): padded positions are zeroed before the DCT, in the attention's input and
//   in the shortened residual alike, so their contents reach no real token (their number still
//   shapes the low-pass). Attention as LRA's: projections without biases.
// - 'reference': as LRA/code of LUMIA-Group/FourierTransformer (model.py, attention.py,
//   attention_dct.py, model_wrapper.py): the DCT runs over padding as well (the code passes no
//   mask to it), the Q/K/V/output projections have biases (torch's nn.Linear), and with a CLS
//   token the first shortening layer drops the last position first, as the reference's
//   append_cls does (it puts CLS in front and drops the last token to keep the length), so the
//   DCT sees seqLen - 1 tokens and keeps ceil(seqLen * keep) of them.
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
  /** 'clean': padding reaches no real token; 'reference': the authors' code (see above). */
  impl: 'clean' | 'reference';
}

/** Whether the reference's append_cls applies: it drops the last position in the first shortening layer. */
function dropsLast(options: FourierTransformerOptions, layer: number, hasCls: boolean): boolean {
  return options.impl === 'reference' && hasCls && layer === Math.min(...options.layers);
}

/** x without its last position (the reference's append_cls keeps the length with CLS in front). */
function withoutLast<T extends tf.Tensor>(t: T): T {
  const size = t.shape.slice() as number[];
  size[1] = size[1]! - 1;
  return tf.slice(t, new Array<number>(t.rank).fill(0), size) as T;
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
  const reference = options.impl === 'reference';
  const attend = attention.create(args, { ...attention.defaults, bias: reference });
  if (!options.layers.includes(args.layer)) return attend;
  const hasCls = args.hasCls ?? false;
  const dropLast = dropsLast(options, args.layer, hasCls);
  /** The shortened sequence the attention and the residual both take. */
  const shorten = (x: tf.Tensor3D, mask: tf.Tensor2D | null): tf.Tensor3D =>
    tf.tidy(() => {
      if (reference) return dctShorten(dropLast ? withoutLast(x) : x, null, options.keep, hasCls);
      return dctShorten(x, mask, options.keep, hasCls);
    });
  return {
    residualFromMixerInput: true,
    residual: (x, mask) => shorten(x, mask ?? null),
    apply(x, mask, ctx) {
      return tf.tidy(() => attend.apply(shorten(x, mask), null, ctx));
    },
    inspect(x, mask, ctx): MixerInspection {
      const [batch, fullLength, width] = x.shape;
      const length = dropLast ? fullLength - 1 : fullLength;
      const first = hasCls ? 1 : 0;
      // The tokens' DCT energy per coefficient, as the shortening sees them (clean: padding zeroed).
      const energy = tf.tidy(() => {
        const seen = reference ? (dropLast ? withoutLast(x) : x) : mask ? tf.mul(x, tf.expandDims(mask, 2)) : x;
        const tokens = first ? tf.slice(seen, [0, first, 0], [batch, length - first, width]) : seen;
        return tf.sum(tf.square(dct(tokens, { axis: 1 })), 2);
      });
      const coefficientEnergy = energy.dataSync() as Float32Array;
      energy.dispose();
      const short = shorten(x, mask);
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
  defaults: { layers: [0], keep: 0.2, impl: 'clean' },
  choices: { impl: ['clean', 'reference'] },
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
    const dropped = dropsLast(options, args.layer, args.hasCls ?? false) ? 1 : 0;
    if (options.layers.includes(args.layer) && args.seqLen - dropped - (args.hasCls ? 1 : 0) < 1) {
      return `nothing to shorten at length ${args.seqLen}`;
    }
    // The reference drops the last token before the first layer; here the first shortening
    // layer does it, which is the same only when no plain attention layer comes before it.
    if (options.impl === 'reference' && args.hasCls && args.layer === 0 && !options.layers.includes(0)) {
      return `impl 'reference' with a CLS token drops the last token in the first layer, so layers must include 0, got ${JSON.stringify(options.layers)}`;
    }
    return null;
  },
  outputLength(n: number, options: FourierTransformerOptions, context?: OutputLengthContext): number {
    // Without a context the encoder's first block is meant (the LRA setting shortens only it).
    const layer = context?.layer ?? 0;
    const hasCls = context?.hasCls ?? false;
    if (!options.layers.includes(layer)) return n;
    const length = dropsLast(options, layer, hasCls) ? n - 1 : n;
    return keptCoefficients(length, options.keep, hasCls) + (hasCls ? 1 : 0);
  },
};
