// FFTNet's module in float64 from its description (docs/mixers.md, jacobfa/fft fftnet_modules.py at
// commits 177799f and dcb3104), with dense DFT sums in place of FFTs.
import type { FftnetOptions } from '../../src/mixers/fftnet.js';
import { denseIrfft, denseLayer, denseRfft, geluExact, layerNormRows } from './spectral-reference.js';

export interface FftnetShape {
  batch: number;
  /** Tokens in the input. */
  length: number;
  /** Length the mixer was built for (the input is zero-padded to it). */
  seqLen: number;
  dModel: number;
  heads: number;
}

function passes(options: FftnetOptions, k: number, bins: number): boolean {
  const count = Math.ceil(options.maskFraction * bins);
  switch (options.frequencyMask) {
    case 'full':
      return true;
    case 'low-pass':
      return k < count;
    case 'high-pass':
      return k >= bins - count;
    case 'band':
      return k >= Math.floor(options.bandLow * bins) && k < Math.ceil(options.bandHigh * bins);
  }
}

/** The mixer's output [B, length, D] for x [B, length, D] (mask [B, length] or null), dropout off. */
export function fftnetReference(
  x: ArrayLike<number>,
  mask: ArrayLike<number> | null,
  params: Record<string, Float64Array>,
  options: FftnetOptions,
  shape: FftnetShape,
): Float64Array {
  const { batch, length, seqLen, dModel, heads } = shape;
  const headDim = dModel / heads;
  const bins = Math.floor(seqLen / 2) + 1;
  const original = options.variant === 'modrelu-177799f';
  const activation =
    options.activation === 'auto' ? (original ? 'modrelu' : 'gelu-magnitude') : options.activation;
  const param = (name: string): Float64Array => params[`mixer/${name}`]!;
  const out = new Float64Array(batch * length * dModel);

  for (let b = 0; b < batch; b++) {
    const real = (t: number): number => (mask ? mask[b * length + t]! : 1);
    // Mean of the input over real tokens.
    const context = new Float64Array(dModel);
    let count = 0;
    for (let t = 0; t < length; t++) {
      count += real(t);
      for (let c = 0; c < dModel; c++) context[c]! += x[(b * length + t) * dModel + c]! * real(t);
    }
    for (let c = 0; c < dModel; c++) context[c]! /= Math.max(count, 1);

    // Filter W[h][f] and additive (real) shift S[h][f].
    const scale = new Float64Array(heads * bins).fill(1);
    const shift = new Float64Array(heads * bins);
    if (options.filter !== 'none') {
      const base = param('baseFilter');
      let adaptive: Float64Array | null = null;
      if (options.filter === 'adaptive') {
        const width = options.adaptiveWidth ?? dModel;
        const hidden = denseLayer(context, 1, param('adaptive/hidden/kernel'), dModel, width, param('adaptive/hidden/bias')).map(geluExact);
        const units = heads * bins * (original ? 1 : 2);
        adaptive = denseLayer(hidden, 1, param('adaptive/output/kernel'), width, units, param('adaptive/output/bias'));
      }
      for (let i = 0; i < heads * bins; i++) {
        if (original) {
          scale[i] = base[i]! + (adaptive ? Math.tanh(adaptive[i]!) : 0);
        } else {
          scale[i] = base[i]! * (1 + (adaptive ? adaptive[2 * i]! : 0));
          shift[i] = param('baseBias')[i]! + (adaptive ? adaptive[2 * i + 1]! : 0);
        }
      }
    }

    const y = new Float64Array(length * dModel);
    for (let c = 0; c < dModel; c++) {
      const h = Math.floor(c / headDim);
      const signal = new Float64Array(seqLen);
      for (let t = 0; t < length; t++) signal[t] = x[(b * length + t) * dModel + c]! * real(t);
      const { re, im } = denseRfft(signal, 'ortho');
      for (let f = 0; f < bins; f++) {
        const i = h * bins + f;
        let zr = re[f]! * scale[i]! + shift[i]!;
        let zi = im[f]! * scale[i]!;
        const magnitude = Math.hypot(zr, zi);
        let gain = 1;
        if (activation === 'modrelu') gain = Math.max(magnitude + param('modreluBias')[i]!, 0) / Math.max(magnitude, 1e-3);
        if (activation === 'gelu-magnitude') gain = geluExact(magnitude) / (magnitude + 1e-6);
        const pass = passes(options, f, bins) ? 1 : 0;
        zr *= gain * pass;
        zi *= gain * pass;
        re[f] = zr;
        im[f] = zi;
      }
      const filtered = denseIrfft(re, im, seqLen, 'ortho');
      for (let t = 0; t < length; t++) y[t * dModel + c] = filtered[t]!;
    }

    if (original) {
      const sum = y.map((v, i) => v + x[b * length * dModel + i]!);
      const normed = layerNormRows(sum, dModel, 1e-5, param('norm/scale'), param('norm/bias'));
      out.set(normed, b * length * dModel);
    } else {
      out.set(y, b * length * dModel);
    }
  }
  return out;
}
