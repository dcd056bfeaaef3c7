// Global filter (GFNet, Rao et al. 2021, along tokens instead of image axes): a learned complex
// filter per channel and frequency multiplies the sequence's spectrum, a circular convolution as
// long as the sequence. The ablation step between FNet (no parameters) and FFTNet (a filter
// adapted to each input).
//
// Option `grid: [h, w]` reads the tokens as an h x w image in row-major order (LRA's image and
// pathfinder tasks) and filters its 2-D spectrum instead, as GFNet's GlobalFilter does
// (raoyongming/GFNet gfnet.py: rfft2 over the grid with norm 'ortho', a complex weight per
// (row frequency, column frequency, channel), irfft2 at the grid's size). A CLS token has no
// place in the grid, and GFNet has none (it pools by mean): a grid needs pool 'mean'.
//
// Two implementations (option `impl`):
// - 'clean' (default): the project's pre-LN block around the filter, x + drop(mix(LN(x))), and a
//   filter initialised at the identity (1 + noise, i noise).
// - 'reference': GFNet's Block, x + MLP(LN2(filter(LN1(x)))): no residual around the filter and
//   no dropout after it; the filter initialised as GFNet's, normal(initNoise) in its real and
//   imaginary parts (0.02 * randn); the MLP's Dense layers as GFNet's _init_weights:
//   trunc_normal(std 0.02), whose cut at +-2 (absolute) leaves normal(0.02), and zero biases.
// Either way padded positions are zeroed before the transform (GFNet's images have none).
import * as tf from '@tensorflow/tfjs';
import { fft, ifft, irfft, rfft, type ComplexTensors } from '../spectral/index.js';
import { normal, zeros, type Initializer } from '../nn/initializers.js';
import { fitToLength, zeroPadding } from './fftnet-padding.js';
import type { MixerInspection } from '../analysis/inspection.js';
import type { BlockRecipe, Mixer, MixerArgs, MixerSpec } from './types.js';

export interface GfnetOptions {
  /** One filter per model channel ('model', D of them) or per head, shared by its channels. */
  channels: 'model' | 'heads';
  /** Standard deviation of the filter's initial noise (around the identity, or around 0 for 'reference'). */
  initNoise: number;
  /** 'clean': the project's block and an identity-centred filter; 'reference': GFNet's (see above). */
  impl: 'clean' | 'reference';
  /** [] : one filter along tokens; [h, w]: the tokens are an h x w grid, filtered in 2-D. */
  grid: number[];
}

/** GFNet's Block (gfnet.py): x + MLP(LN2(filter(LN1(x)))), MLP Dense layers normal(0.02), zero biases. */
export const GFNET_REFERENCE_BLOCK: BlockRecipe = {
  mixerResidual: false,
  mixerDropout: false,
  feedForward: { kernelInit: normal(0.02), biasInit: zeros() },
};

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

/** Complex product of a spectrum and a filter that broadcasts against it. */
function filterSpectrum(z: ComplexTensors, kr: tf.Tensor, ki: tf.Tensor): ComplexTensors {
  return {
    re: tf.sub(tf.mul(z.re, kr), tf.mul(z.im, ki)),
    im: tf.add(tf.mul(z.re, ki), tf.mul(z.im, kr)),
  };
}

function createGfnet(args: MixerArgs, options: GfnetOptions): Mixer {
  const { dModel, heads, seqLen } = args;
  const reference = options.impl === 'reference';
  const grid = options.grid.length === 2 ? { rows: options.grid[0]!, cols: options.grid[1]! } : null;
  // 1-D: bins along tokens; 2-D: every row frequency, and the rfft bins of a row.
  const bins = grid ? frequencyBins(grid.cols) : frequencyBins(seqLen);
  const shape = grid ? [grid.rows, bins] : [bins];
  const channels = options.channels === 'model' ? dModel : heads;
  const group = dModel / channels;
  // GFNet's own init is 0.02 * randn (a filter near zero, 'reference'); 'clean' starts the real
  // part at 1 and the imaginary part at 0, plus noise, so the block starts close to the identity
  // map and the residual stream is not silenced.
  const real = args.params.add('filter/real', [...shape, channels], reference ? normal(options.initNoise) : aroundOne(options.initNoise));
  const imag = args.params.add('filter/imag', [...shape, channels], normal(options.initNoise));

  /** [B, seqLen, D] -> filtered along tokens. */
  const filterTokens = (signal: tf.Tensor3D): tf.Tensor3D => {
    const batch = signal.shape[0];
    const spectrum = rfft(signal, { axis: 1, norm: 'ortho' });
    // Spectrum [B, F, D] seen as [B, F, C, D / C] so a filter [F, C, 1] broadcasts.
    const grouped = [batch, bins, channels, group];
    const z = { re: tf.reshape(spectrum.re, grouped), im: tf.reshape(spectrum.im, grouped) };
    const filtered = filterSpectrum(z, tf.reshape(real, [bins, channels, 1]), tf.reshape(imag, [bins, channels, 1]));
    const merged = { re: tf.reshape(filtered.re, [batch, bins, dModel]), im: tf.reshape(filtered.im, [batch, bins, dModel]) };
    return irfft(merged, { n: seqLen, axis: 1, norm: 'ortho' }) as tf.Tensor3D;
  };

  /** [B, rows * cols, D] -> the grid's 2-D spectrum filtered: rfft along a row, fft down the columns. */
  const filterGrid = (signal: tf.Tensor3D, rows: number, cols: number): tf.Tensor3D => {
    const batch = signal.shape[0];
    const image = tf.reshape(signal, [batch, rows, cols, dModel]);
    const spectrum = fft(rfft(image, { axis: 2, norm: 'ortho' }), { axis: 1, norm: 'ortho' });
    const grouped = [batch, rows, bins, channels, group];
    const z = { re: tf.reshape(spectrum.re, grouped), im: tf.reshape(spectrum.im, grouped) };
    const filtered = filterSpectrum(z, tf.reshape(real, [rows, bins, channels, 1]), tf.reshape(imag, [rows, bins, channels, 1]));
    const back = ifft(
      { re: tf.reshape(filtered.re, [batch, rows, bins, dModel]), im: tf.reshape(filtered.im, [batch, rows, bins, dModel]) },
      { axis: 1, norm: 'ortho' },
    );
    return tf.reshape(irfft(back, { n: cols, axis: 2, norm: 'ortho' }), [batch, rows * cols, dModel]) as tf.Tensor3D;
  };

  return {
    ...(reference ? { blockRecipe: GFNET_REFERENCE_BLOCK } : {}),
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null): tf.Tensor3D {
      const [batch, length] = x.shape;
      return tf.tidy(() => {
        // Padded positions are zeroed so that their contents reach no real position; shorter
        // inputs are extended with zeros, exactly as padding to seqLen would.
        const signal = fitToLength(zeroPadding(x, mask), seqLen, 'gfnet');
        const y = grid ? filterGrid(signal, grid.rows, grid.cols) : filterTokens(signal);
        return length === seqLen ? y : (tf.slice(y, [0, 0, 0], [batch, length, dModel]) as tf.Tensor3D);
      });
    },
    inspect(): MixerInspection {
      // Stored [bins, channels] (a grid: [rows, bins, channels]); the view is one row per channel.
      // Of a 2-D filter it shows the row frequencies' first bin (vertical frequency 0): the
      // response along a row of the image.
      const [re, im] = tf.tidy(() => {
        const along = (t: tf.Tensor) => (grid ? tf.reshape(tf.slice(t, [0, 0, 0], [1, bins, channels]), [bins, channels]) : t);
        return [tf.transpose(along(real)), tf.transpose(along(imag))];
      });
      const view = {
        name: grid ? 'learned 2-D global filter along a row (vertical frequency 0)' : 'learned global filter',
        rowLabel: options.channels === 'model' ? ('channel' as const) : ('head' as const),
        rows: channels,
        bins,
        fftLength: grid ? grid.cols : seqLen,
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
  defaults: { channels: 'model', initNoise: 0.02, impl: 'clean', grid: [] },
  choices: { channels: ['model', 'heads'], impl: ['clean', 'reference'] },
  create: createGfnet,
  validate(args, options) {
    if (options.channels === 'heads' && args.dModel % args.heads !== 0) {
      return `dModel ${args.dModel} is not divisible by ${args.heads} heads`;
    }
    if (!(options.initNoise >= 0)) return `initNoise must be >= 0, got ${options.initNoise}`;
    const { grid } = options;
    if (grid.length === 0) return null;
    if (grid.length !== 2 || !grid.every((g) => Number.isInteger(g) && g > 0)) {
      return `grid must be [] or [rows, cols] of positive integers, got ${JSON.stringify(grid)}`;
    }
    if (args.hasCls) return `a grid has no place for a CLS token (GFNet pools by mean): use pool 'mean'`;
    if (grid[0]! * grid[1]! !== args.seqLen) {
      return `grid ${grid[0]} x ${grid[1]} holds ${grid[0]! * grid[1]!} tokens, but the sequence has ${args.seqLen}`;
    }
    return null;
  },
};
