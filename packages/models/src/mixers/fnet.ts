// FNet (Lee-Thorp et al. 2022): the token mixer is the real part of a 2-D DFT over (sequence,
// hidden), taken once at the end. No parameters. The paper's block is post-LN with LayerNorm eps
// 1e-12, whose normalisation absorbs the DFT's growth (a factor up to N * D); a pre-LN block has
// no such norm after the mixer, so there the transform should be normalised ('ortho').
//
// Two blocks (option `impl`):
// - 'clean' (default): the project's block with LRA's MlpBlock: dropout on the mixer's output,
//   feed-forward Dense layers xavier-uniform with normal(1e-6) biases, dropout after the GELU and
//   after the output Dense.
// - 'reference': FNet's EncoderBlock and FeedForwardLayer (google-research f_net/layers.py):
//   LN(x + mix(x)) with no dropout on the mixing output; the feed-forward is Dense -> GELU ->
//   Dense -> dropout (no dropout after the GELU), kernels normal(0.02), the first Dense's bias
//   normal(0.02) and the output Dense's bias zeros (flax's default: the code passes it no init).
import * as tf from '@tensorflow/tfjs';
import { normal, zeros } from '../nn/initializers.js';
import { fnetMix } from '../spectral/index.js';
import type { MixerInspection } from '../analysis/inspection.js';
import { frequencyBins } from './gfnet.js';
import type { BlockRecipe, Mixer, MixerSpec } from './types.js';

export interface FnetOptions {
  /** 'backward': unnormalised, as the paper; 'ortho': scaled by 1 / sqrt(N D) (for pre-LN blocks). */
  norm: 'backward' | 'ortho';
  /** 'clean': the project's block; 'reference': FNet's own block (see above). */
  impl: 'clean' | 'reference';
}

/** FNet's EncoderBlock around the mixer (f_net/layers.py), for impl 'reference'. */
export const FNET_REFERENCE_BLOCK: BlockRecipe = {
  mixerDropout: false,
  feedForward: { kernelInit: normal(0.02), biasInit: normal(0.02), outputBiasInit: zeros(), hiddenDropout: false },
};

function createFnet(_args: unknown, options: FnetOptions): Mixer {
  return {
    ...(options.impl === 'reference' ? { blockRecipe: FNET_REFERENCE_BLOCK } : {}),
    // The padding mask is ignored by design: the paper mixes every position, padding included,
    // and a DFT over a zeroed-out tail would still depend on how long the tail is.
    apply(x: tf.Tensor3D): tf.Tensor3D {
      return tf.tidy(() => {
        const mixed = fnetMix(x) as tf.Tensor3D;
        if (options.norm === 'backward') return mixed;
        const [, length, width] = x.shape;
        return tf.mul(mixed, 1 / Math.sqrt(length * width)) as tf.Tensor3D;
      });
    },
    // Nothing is learned: along tokens every frequency is weighted alike. The DFT's overall scale
    // (N D unnormalised) is left out, as the post-LN absorbs it; the Jacobian shows the rest (a
    // transform: an impulse at position j comes out as the j-th Fourier mode, not as a filter).
    inspect(x: tf.Tensor3D): MixerInspection {
      const length = x.shape[1];
      const bins = frequencyBins(length);
      return {
        filters: [
          { name: 'DFT along tokens (no learned filter)', rowLabel: 'head', rows: 1, bins, fftLength: length, re: new Float32Array(bins).fill(1), im: null },
        ],
      };
    },
  };
}

export const fnet: MixerSpec<FnetOptions> = {
  name: 'fnet',
  title: 'FNet (Fourier token mixing)',
  paper: 'Lee-Thorp, Ainslie, Eckstein, Ontanon, "FNet: Mixing Tokens with Fourier Transforms", NAACL 2022',
  kind: 'spectral',
  defaults: { norm: 'backward', impl: 'clean' },
  choices: { norm: ['backward', 'ortho'], impl: ['clean', 'reference'] },
  block: 'post-ln',
  layerNormEps: 1e-12,
  create: createFnet,
};
