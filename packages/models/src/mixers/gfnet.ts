// Global filter (GFNet, Rao et al. 2021, along tokens instead of image axes): a learned complex
// filter per channel and frequency multiplies the sequence's spectrum, a circular convolution as
// long as the sequence. The ablation step between FNet (no parameters) and FFTNet (a filter
// adapted to each input).
import * as tf from '@tensorflow/tfjs';
import { irfft, rfft } from '../spectral/index.js';
import { normal, type Initializer } from '../nn/initializers.js';
import { fitToLength, zeroPadding } from './fftnet-padding.js';
import type { MixerInspection } from '../analysis/inspection.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface GfnetOptions {
  /** One filter per model channel ('model', D of them) or per head, shared by its channels. */
  channels: 'model' | 'heads';
  /** Standard deviation of the noise around the identity filter at initialisation. */
  initNoise: number;
}

/** Number of rfft bins of a length-n signal. */
export function frequencyBins(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** 1 + normal(std): a filter that starts as the identity, perturbed. */
function aroundOne(std: number): Initializer {
  const noise = normal(std);
  return {
    description: `1 + normal(${std})`,
    sample: (shape, random) => noise.sample(shape, random).map((v) => 1 + v),
  };
}

function createGfnet(args: MixerArgs, options: GfnetOptions): Mixer {
  const { dModel, heads, seqLen } = args;
  const bins = frequencyBins(seqLen);
  const channels = options.channels === 'model' ? dModel : heads;
  // GFNet's own init is 0.02 * randn (a filter near zero); here the real part starts at 1 and the
  // imaginary part at 0, plus noise, so the block starts close to the identity map and the
  // residual stream is not silenced.
  const real = args.params.add('filter/real', [bins, channels], aroundOne(options.initNoise));
  const imag = args.params.add('filter/imag', [bins, channels], normal(options.initNoise));

  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null): tf.Tensor3D {
      const [batch, length] = x.shape;
      return tf.tidy(() => {
        // Padded positions are zeroed so that their contents reach no real position; shorter
        // inputs are extended with zeros, exactly as padding to seqLen would.
        const signal = fitToLength(zeroPadding(x, mask), seqLen, 'gfnet');
        const spectrum = rfft(signal, { axis: 1, norm: 'ortho' });
        // Spectrum [B, F, D] seen as [B, F, C, D / C] so a filter [F, C, 1] broadcasts.
        const grouped = [batch, bins, channels, dModel / channels];
        const re = tf.reshape(spectrum.re, grouped);
        const im = tf.reshape(spectrum.im, grouped);
        const kr = tf.reshape(real, [bins, channels, 1]);
        const ki = tf.reshape(imag, [bins, channels, 1]);
        const filtered = {
          re: tf.reshape(tf.sub(tf.mul(re, kr), tf.mul(im, ki)), [batch, bins, dModel]),
          im: tf.reshape(tf.add(tf.mul(re, ki), tf.mul(im, kr)), [batch, bins, dModel]),
        };
        const y = irfft(filtered, { n: seqLen, axis: 1, norm: 'ortho' }) as tf.Tensor3D;
        return length === seqLen ? y : (tf.slice(y, [0, 0, 0], [batch, length, dModel]) as tf.Tensor3D);
      });
    },
    inspect(): MixerInspection {
      // Stored [bins, channels]; the view is one row per channel.
      const [re, im] = tf.tidy(() => [tf.transpose(real), tf.transpose(imag)]);
      const view = {
        name: 'learned global filter',
        rowLabel: options.channels === 'model' ? ('channel' as const) : ('head' as const),
        rows: channels,
        bins,
        fftLength: seqLen,
        re: re!.dataSync() as Float32Array,
        im: im!.dataSync() as Float32Array,
      };
      tf.dispose([re!, im!]);
      return { filters: [view] };
    },
  };
}

export const gfnet: MixerSpec<GfnetOptions> = {
  name: 'gfnet',
  title: 'Global filter (learned static spectral filter)',
  paper:
    'Rao, Zhao, Zhu, Lu, Zhou, "Global Filter Networks for Image Classification", NeurIPS 2021 (applied along tokens)',
  kind: 'spectral',
  defaults: { channels: 'model', initNoise: 0.02 },
  choices: { channels: ['model', 'heads'] },
  create: createGfnet,
  validate(args, options) {
    if (options.channels === 'heads' && args.dModel % args.heads !== 0) {
      return `dModel ${args.dModel} is not divisible by ${args.heads} heads`;
    }
    if (!(options.initNoise >= 0)) return `initNoise must be >= 0, got ${options.initNoise}`;
    return null;
  },
};
