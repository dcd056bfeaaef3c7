// FNet (Lee-Thorp et al. 2022): the token mixer is the real part of a 2-D DFT over (sequence,
// hidden), taken once at the end. No parameters. The paper's block is post-LN with LayerNorm eps
// 1e-12, whose normalisation absorbs the DFT's growth (a factor up to N * D); a pre-LN block has
// no such norm after the mixer, so there the transform should be normalised ('ortho').
import * as tf from '@tensorflow/tfjs';
import { fnetMix } from '../spectral/index.js';
import type { MixerInspection } from '../analysis/inspection.js';
import { frequencyBins } from './gfnet.js';
import type { Mixer, MixerSpec } from './types.js';

export interface FnetOptions {
  /** 'backward': unnormalised, as the paper; 'ortho': scaled by 1 / sqrt(N D) (for pre-LN blocks). */
  norm: 'backward' | 'ortho';
}

function createFnet(_args: unknown, options: FnetOptions): Mixer {
  return {
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
  defaults: { norm: 'backward' },
  choices: { norm: ['backward', 'ortho'] },
  block: 'post-ln',
  layerNormEps: 1e-12,
  create: createFnet,
};
