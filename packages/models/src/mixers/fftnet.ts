// FFTNet adaptive spectral filter (Fein-Ashley et al. 2025, jacobfa/fft). Per head,
// the tokens' orthonormal rfft is scaled by a real, zero-phase filter per frequency (a learned
// base plus an MLP of the sequence's mean), passed through a magnitude nonlinearity and brought
// back with irfft: a circular, non-causal convolution adapted to each input.
//
// Three published variants (option `variant`):
// - 'modrelu-177799f': W = base + tanh(MLP(c)), modReLU; the module returns LN(x + dropout(y))
//   itself (own residual and post-norm), so the block only adds x + FF(LN(x)) after it.
// - 'gelu-dcb3104': pre-LN (the block normalises, adds and drops out as usual); the MLP emits a
//   scale and a bias: F * (base * (1 + scale)) + (baseBias + bias), the bias real (added to the
//   real part), then z * GELU(|z|) / (|z| + 1e-6).
// - 'wavelet-3960455': the last LRA module (lra/fftnet_modules.py at 3960455, combine_mode
//   'gate'): the dcb3104 spectral path blended with a one-level Haar wavelet branch of the same
//   normalised input, y = a wavelet + (1 - a) spectral, a = sigmoid(gate), gate init 0. The
//   wavelet pairs positions (2i, 2i + 1): approx = GELU((e + o) / 2), detail = GELU((e - o) / 2),
//   back e' = approx + detail, o' = approx - detail; an odd length's last position gives 0.
//
// Option `impl` (dcb3104 and 3960455; 177799f is its own module either way):
// - 'clean' (default): the pre-LN block adds x + dropout(mix(LN(x))).
// - 'reference': as the authors' code: the module normalises its input itself (its own
//   LayerNorm, torch's eps 1e-5) and returns x + dropout(y), and the block adds x again
//   (TransformerEncoderBlock: x = x + attention(x)), so the block's first half is 2x + dropout(y);
//   the block then goes on with x + FF(LN(x)).
// Ablation knobs: `filter` (none / static base only / adaptive), `activation` (auto = the
// variant's own), `frequencyMask` (which bins reach the output).
//
// Padding: padded positions are zeroed before the rfft and the mean runs over real tokens (the
// reference takes no mask). The transform still spans the whole built length.
//
// The adaptive MLP's last layer has D * H * (N/2 + 1) weights (twice that for gelu-dcb3104): it
// grows with the length, and the mixer only takes the length it was built for (shorter inputs
// are padded to it).
import * as tf from '@tensorflow/tfjs';
import { gelu } from '../nn/activations.js';
import type { ForwardContext } from '../nn/context.js';
import { dense, type Dense } from '../nn/dense.js';
import { dropout } from '../nn/dropout.js';
import { constant, ones, xavierUniform, zeros } from '../nn/initializers.js';
import { layerNorm, type LayerNorm } from '../nn/layer-norm.js';
import { filteredModRelu } from '../nn/modrelu.js';
import { irfft, rfft, type ComplexTensors } from '../spectral/index.js';
import { fitToLength, zeroPadding } from './fftnet-padding.js';
import { frequencyBins } from './gfnet.js';
import type { AdaptiveFilterView, MixerInspection, SpectralFilterView } from '../analysis/inspection.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface FftnetOptions {
  variant: 'modrelu-177799f' | 'gelu-dcb3104' | 'wavelet-3960455';
  /** 'clean': the block's own residual; 'reference': the authors' module residual (2x + y, see above). */
  impl: 'clean' | 'reference';
  /** 'none': no filter; 'static': the learned base filter only; 'adaptive': base + MLP(mean). */
  filter: 'none' | 'static' | 'adaptive';
  /** 'auto': the variant's own (modrelu for 177799f, gelu-magnitude for dcb3104). */
  activation: 'auto' | 'modrelu' | 'gelu-magnitude' | 'none';
  /** Which frequency bins reach the output; the others are zeroed before the irfft. */
  frequencyMask: 'full' | 'low-pass' | 'high-pass' | 'band';
  /** low-pass: the lowest ceil(f F) of the F bins pass; high-pass: the highest ceil(f F). */
  maskFraction: number;
  /** band: bins floor(bandLow F) <= k < ceil(bandHigh F) pass. */
  bandLow: number;
  bandHigh: number;
  /**
   * Hidden width of the adaptive filter's MLP; null: dModel, the authors' width. Its output layer
   * has width * H * (N/2 + 1) weights, which dominates FFTNet's size at LRA lengths: a narrower
   * MLP keeps the model within LRA's 1.1x of the Transformer's parameters.
   */
  adaptiveWidth: number | null;
}

export type FftnetActivation = 'modrelu' | 'gelu-magnitude' | 'none';

export function fftnetActivation(options: FftnetOptions): FftnetActivation {
  if (options.activation !== 'auto') return options.activation;
  return options.variant === 'modrelu-177799f' ? 'modrelu' : 'gelu-magnitude';
}

/** 1 for the bins that pass the frequency mask, 0 for the others (length F). */
export function frequencyMaskValues(options: FftnetOptions, bins: number): Float32Array {
  const pass = new Float32Array(bins);
  const count = Math.ceil(options.maskFraction * bins);
  for (let k = 0; k < bins; k++) {
    switch (options.frequencyMask) {
      case 'full':
        pass[k] = 1;
        break;
      case 'low-pass':
        pass[k] = k < count ? 1 : 0;
        break;
      case 'high-pass':
        pass[k] = k >= bins - count ? 1 : 0;
        break;
      case 'band':
        pass[k] = k >= Math.floor(options.bandLow * bins) && k < Math.ceil(options.bandHigh * bins) ? 1 : 0;
        break;
    }
  }
  return pass;
}

// torch.nn.LayerNorm's default, which the 177799f module's own norm uses.
const MODULE_NORM_EPS = 1e-5;
// modReLU divides by max(|z|, 1e-3) (177799f); the GELU magnitude activation by |z| + 1e-6.
const MODRELU_MIN_MAGNITUDE = 1e-3;
const GELU_MAGNITUDE_EPS = 1e-6;
// Inside the square root of |z|: keeps its gradient finite at z = 0 and moves |z| by <= 1e-10.
const MAGNITUDE_FLOOR = 1e-20;

function createFftnet(args: MixerArgs, options: FftnetOptions): Mixer {
  const { dModel, heads, seqLen } = args;
  const bins = frequencyBins(seqLen);
  const headDim = dModel / heads;
  const original = options.variant === 'modrelu-177799f';
  const wavelet = options.variant === 'wavelet-3960455';
  // dcb3104 and 3960455 as their code: own pre-norm, x + dropout(y) returned, x added again by the block.
  const doubledResidual = !original && options.impl === 'reference';
  const activation = fftnetActivation(options);
  const p = args.params;

  const baseFilter = options.filter === 'none' ? null : p.add('baseFilter', [heads, bins], ones());
  const baseBias = !original && options.filter !== 'none' ? p.add('baseBias', [heads, bins], constant(-0.1)) : null;
  let mlp: { hidden: Dense; output: Dense } | null = null;
  if (options.filter === 'adaptive') {
    // The reference initialises its Linear layers xavier-uniform with zero biases.
    const init = { kernelInit: xavierUniform(), biasInit: zeros() };
    const width = options.adaptiveWidth ?? dModel;
    mlp = {
      hidden: dense(p, 'adaptive/hidden', { inputDim: dModel, units: width, ...init }),
      output: dense(p, 'adaptive/output', { inputDim: width, units: heads * bins * (original ? 1 : 2), ...init }),
    };
  }
  const modreluBias = activation === 'modrelu' ? p.add('modreluBias', [heads, bins], constant(-0.1)) : null;
  const norm: LayerNorm | null = original ? layerNorm(p, 'norm', dModel, MODULE_NORM_EPS) : null;
  const preNorm: LayerNorm | null = doubledResidual ? layerNorm(p, 'preNorm', dModel, MODULE_NORM_EPS) : null;
  // sigmoid(0) = 1/2: both branches weigh alike at first.
  const waveletGate = wavelet ? p.add('waveletGate', [1], zeros()) : null;
  const passMask = options.frequencyMask === 'full' ? null : frequencyMaskValues(options, bins);

  /** [H, F] parameter -> [1, F, H, 1], to broadcast over the spectrum [B, F, H, d]. */
  const perHeadBin = (t: tf.Tensor): tf.Tensor => tf.reshape(tf.transpose(t), [1, bins, heads, 1]);

  /** The input's mean over real tokens [B, D]. */
  const context = (x: tf.Tensor3D, mask: tf.Tensor2D | null): tf.Tensor2D => {
    if (!mask) return tf.mean(x, 1);
    const count = tf.maximum(tf.sum(mask, 1, true), 1);
    return tf.div(tf.sum(tf.mul(x, tf.expandDims(mask, 2)), 1), count);
  };

  /** Filter (and, for dcb3104, additive bias) for each example: [B or 1, F, H, 1]. */
  const filterOf = (c: tf.Tensor2D): { scale: tf.Tensor | null; shift: tf.Tensor | null } => {
    if (!baseFilter) return { scale: null, shift: null };
    const base = perHeadBin(baseFilter);
    const shiftBase = baseBias ? perHeadBin(baseBias) : null;
    if (!mlp) return { scale: base, shift: shiftBase };
    const batch = c.shape[0];
    const out = mlp.output.apply(gelu(mlp.hidden.apply(c)));
    if (original) {
      // (B, H*F) read as (B, H, F), as the reference's view.
      const modulation = tf.reshape(tf.transpose(tf.reshape(tf.tanh(out), [batch, heads, bins]), [0, 2, 1]), [
        batch,
        bins,
        heads,
        1,
      ]);
      return { scale: tf.add(base, modulation), shift: null };
    }
    // (B, H*F*2) read as (B, H, F, 2): [..., 0] scales, [..., 1] shifts.
    const pairs = tf.transpose(tf.reshape(out, [batch, heads, bins, 2]), [0, 2, 1, 3]);
    const [scale, shift] = tf.split(pairs, 2, 3);
    return { scale: tf.mul(base, tf.add(1, scale!)), shift: tf.add(shiftBase!, shift!) };
  };

  const activate = (z: ComplexTensors): ComplexTensors => {
    if (activation === 'none') return z;
    const magnitude = tf.sqrt(tf.add(tf.add(tf.square(z.re), tf.square(z.im)), MAGNITUDE_FLOOR));
    const gain =
      activation === 'modrelu'
        ? tf.div(tf.relu(tf.add(magnitude, perHeadBin(modreluBias!))), tf.maximum(magnitude, MODRELU_MIN_MAGNITUDE))
        : tf.div(gelu(magnitude), tf.add(magnitude, GELU_MAGNITUDE_EPS));
    return { re: tf.mul(z.re, gain), im: tf.mul(z.im, gain) };
  };

  /** The spectral path y [B, n, D] of the mixer's input x [B, n, D]. */
  const spectralPath = (x: tf.Tensor3D, mask: tf.Tensor2D | null): tf.Tensor3D => {
    const [batch, length] = x.shape;
    const signal = fitToLength(zeroPadding(x, mask), seqLen, 'fftnet');
    const spectrum = rfft(signal, { axis: 1, norm: 'ortho' });
    const split = [batch, bins, heads, headDim];
    let z: ComplexTensors = { re: tf.reshape(spectrum.re, split), im: tf.reshape(spectrum.im, split) };
    const { scale, shift } = filterOf(context(x, mask));
    if (scale && !shift && activation === 'modrelu') {
      // The filter and modReLU in one kernel each way (177799f's path; see nn/modrelu.ts).
      const [re, im] = filteredModRelu(z.re, z.im, scale, perHeadBin(modreluBias!), { minMagnitude: MODRELU_MIN_MAGNITUDE, floor: MAGNITUDE_FLOOR });
      z = { re: re!, im: im! };
    } else {
      if (scale) z = { re: tf.mul(z.re, scale), im: tf.mul(z.im, scale) };
      if (shift) z = { re: tf.add(z.re, shift), im: z.im };
      z = activate(z);
    }
    if (passMask) {
      const pass = tf.tensor4d(passMask, [1, bins, 1, 1]);
      z = { re: tf.mul(z.re, pass), im: tf.mul(z.im, pass) };
    }
    const merged = { re: tf.reshape(z.re, [batch, bins, dModel]), im: tf.reshape(z.im, [batch, bins, dModel]) };
    const y = irfft(merged, { n: seqLen, axis: 1, norm: 'ortho' }) as tf.Tensor3D;
    return length === seqLen ? y : (tf.slice(y, [0, 0, 0], [batch, length, dModel]) as tf.Tensor3D);
  };

  /** The mixing output y of the (normalised) input: the spectral path, blended with the wavelet branch. */
  const mix = (x: tf.Tensor3D, mask: tf.Tensor2D | null): tf.Tensor3D => {
    const spectral = spectralPath(x, mask);
    if (!waveletGate) return spectral;
    const alpha = tf.sigmoid(waveletGate);
    // At the built length, as the spectral path: a shorter input is handled as if padded to it.
    const [batch, length] = x.shape;
    const local = haarWavelet(fitToLength(zeroPadding(x, mask), seqLen, 'fftnet'));
    const waveletPart = length === seqLen ? local : tf.slice(local, [0, 0, 0], [batch, length, dModel]);
    return tf.add(tf.mul(alpha, waveletPart), tf.mul(tf.sub(1, alpha), spectral)) as tf.Tensor3D;
  };

  return {
    ownsResidual: original || doubledResidual,
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      return tf.tidy(() => {
        if (preNorm) {
          // The module's x + dropout(y), plus the block's own x.
          const y = mix(preNorm.apply(x), mask);
          return tf.add(tf.mul(x, 2), dropout(y, args.dropout, ctx)) as tf.Tensor3D;
        }
        const y = mix(x, mask);
        return norm ? norm.apply(tf.add(x, dropout(y, args.dropout, ctx)) as tf.Tensor3D) : y;
      });
    },
    inspect(x: tf.Tensor3D, mask: tf.Tensor2D | null): MixerInspection {
      const real = (name: string, values: Float32Array): SpectralFilterView => ({
        name, rowLabel: 'head', rows: heads, bins, fftLength: seqLen, re: values, im: null,
      });
      const read = (t: tf.Tensor): Float32Array => {
        // A copy: a clone of a parameter may share the parameter's own storage.
        const values = (t.dataSync() as Float32Array).slice();
        t.dispose();
        return values;
      };
      const filters: SpectralFilterView[] = [];
      if (baseFilter) filters.push(real('base filter', read(tf.clone(baseFilter))));
      if (baseBias) filters.push(real('base additive bias (real part)', read(tf.clone(baseBias))));
      if (modreluBias) filters.push(real('modReLU threshold bias', read(tf.clone(modreluBias))));
      if (passMask) {
        const pass = new Float32Array(heads * bins);
        for (let h = 0; h < heads; h++) pass.set(passMask, h * bins);
        filters.push(real(`frequency mask (${options.frequencyMask})`, pass));
      }
      const adaptiveFilters: AdaptiveFilterView[] = [];
      if (mlp) {
        const batch = x.shape[0];
        // [B, F, H, 1] -> [B, H, F]: each input's own filter per head and frequency.
        const perInput = (t: tf.Tensor): Float32Array => {
          const values = read(tf.tidy(() => tf.transpose(tf.reshape(t, [batch, bins, heads]), [0, 2, 1])));
          t.dispose();
          return values;
        };
        const [scale, shift] = tf.tidy(() => {
          const { scale: s, shift: b } = filterOf(context(preNorm ? preNorm.apply(x) : x, mask));
          return [tf.mul(s!, tf.ones([batch, 1, 1, 1])), b && !original ? tf.mul(b, tf.ones([batch, 1, 1, 1])) : null];
        });
        const view = (name: string, values: Float32Array): AdaptiveFilterView => ({
          name, rowLabel: 'head', rows: heads, bins, fftLength: seqLen, examples: batch, values,
        });
        adaptiveFilters.push(view(original ? 'adaptive filter (base + tanh(MLP(mean)))' : 'adaptive scale (base (1 + scale))', perInput(scale!)));
        if (shift) adaptiveFilters.push(view('adaptive additive bias (real part)', perInput(shift)));
      }
      return { filters, ...(adaptiveFilters.length ? { adaptiveFilters } : {}) };
    },
  };
}

/**
 * One level of the Haar wavelet along tokens, decomposed and rebuilt with a GELU on both bands
 * (3960455's wavelet_transform): per pair (e, o) = (x_2i, x_2i+1), a = GELU((e + o) / 2),
 * d = GELU((e - o) / 2), out = (a + d, a - d). An odd length's last position comes out 0.
 */
export function haarWavelet(x: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const [batch, length, width] = x.shape;
    const even = length - (length % 2);
    if (even === 0) return tf.zerosLike(x);
    const pairs = tf.reshape(tf.slice(x, [0, 0, 0], [batch, even, width]), [batch, even / 2, 2, width]);
    const [e, o] = tf.split(pairs, 2, 2);
    const approx = gelu(tf.mul(tf.add(e!, o!), 0.5));
    const detail = gelu(tf.mul(tf.sub(e!, o!), 0.5));
    const rebuilt = tf.reshape(tf.concat([tf.add(approx, detail), tf.sub(approx, detail)], 2), [batch, even, width]) as tf.Tensor3D;
    return even === length ? rebuilt : (tf.concat([rebuilt, tf.zeros([batch, 1, width])], 1) as tf.Tensor3D);
  });
}

function fractionProblem(name: string, value: number): string | null {
  return value > 0 && value <= 1 ? null : `${name} must be in (0, 1], got ${value}`;
}

export const fftnet: MixerSpec<FftnetOptions> = {
  name: 'fftnet',
  title: 'FFTNet adaptive spectral filter',
  paper:
    'Fein-Ashley et al., "The FFT Strikes Back: An Efficient Alternative to Self-Attention", arXiv:2502.18394 ' +
    '(v1), 2025; later revised as SPECTRE ' +
    '(jacobfa/fft: lra/fftnet_modules.py at commit 177799f, fftnet_modules.py at dcb3104, lra/fftnet_modules.py at 3960455)',
  kind: 'spectral',
  defaults: {
    variant: 'modrelu-177799f',
    impl: 'clean',
    filter: 'adaptive',
    activation: 'auto',
    frequencyMask: 'full',
    maskFraction: 0.5,
    bandLow: 0.25,
    bandHigh: 0.75,
    adaptiveWidth: null,
  },
  choices: {
    variant: ['modrelu-177799f', 'gelu-dcb3104', 'wavelet-3960455'],
    impl: ['clean', 'reference'],
    filter: ['none', 'static', 'adaptive'],
    activation: ['auto', 'modrelu', 'gelu-magnitude', 'none'],
    frequencyMask: ['full', 'low-pass', 'high-pass', 'band'],
  },
  create: createFftnet,
  validate(args, options) {
    if (args.dModel % args.heads !== 0) return `dModel ${args.dModel} is not divisible by ${args.heads} heads`;
    const width = options.adaptiveWidth;
    if (width !== null && !(Number.isInteger(width) && width > 0)) return `adaptiveWidth must be a positive integer or null, got ${width}`;
    if (options.frequencyMask === 'low-pass' || options.frequencyMask === 'high-pass') {
      return fractionProblem('maskFraction', options.maskFraction);
    }
    if (options.frequencyMask === 'band') {
      if (!(options.bandLow >= 0 && options.bandLow < options.bandHigh && options.bandHigh <= 1)) {
        return `band needs 0 <= bandLow < bandHigh <= 1, got bandLow ${options.bandLow}, bandHigh ${options.bandHigh}`;
      }
    }
    return null;
  },
};
