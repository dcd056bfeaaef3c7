// The long convolutions' kernel (Fu et al., ICML 2023; HazyResearch/safari
// src/models/sequence/long_conv_kernel.py, LongConvKernel): one free parameter per lag, channel
// and head, read through an optional moving-average smoothing and a soft-thresholding squash,
// with dropout on the kernel while training.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { dropout } from '../nn/dropout.js';
import { normal, type Initializer } from '../nn/initializers.js';

/** 'random': randn * 0.002; 'double-exp': randn * 0.02 * exp(-(l / L) (H/2)^(h / H)), the reference's double_exp. */
export type LongConvWeightInit = 'random' | 'double-exp';

export function longConvInitializer(kind: LongConvWeightInit): Initializer {
  if (kind === 'random') return normal(0.002);
  const noise = normal(0.02);
  return {
    description: 'normal(0.02) * exp(-(l / L) (H/2)^(h / H))',
    sample: (shape, random) => {
      const [, channels, length] = shape as [number, number, number];
      const values = noise.sample(shape, random);
      const base = Math.floor(channels / 2);
      for (let i = 0; i < values.length; i++) {
        const l = i % length;
        const h = Math.floor(i / length) % channels;
        values[i]! *= Math.exp(-(l / length) * Math.pow(base, h / channels));
      }
      return values;
    },
  };
}

/**
 * torch.nn.AvgPool1d(window, stride 1, padding window // 2) along the last axis of k [..., L]:
 * the mean of the window around each lag, zeros beyond the ends counted (count_include_pad).
 */
export function movingAverage(k: tf.Tensor, window: number): tf.Tensor {
  return tf.tidy(() => {
    const length = k.shape[k.rank - 1]!;
    const half = Math.floor(window / 2);
    const pads = k.shape.map((): [number, number] => [0, 0]);
    pads[k.rank - 1] = [half, half];
    const padded = tf.pad(k, pads);
    let sum: tf.Tensor | null = null;
    for (let offset = 0; offset < window; offset++) {
      // A fresh begin each time: the tape keeps the array, and its gradient reads it later.
      const begin = [...k.shape.slice(0, -1).map(() => 0), offset];
      const part = tf.slice(padded, begin, [...k.shape.slice(0, -1), length]);
      sum = sum ? tf.add(sum, part) : part;
    }
    return tf.div(sum!, window);
  });
}

/** Soft thresholding: relu(|k| - lam) * sign(k), which drives small kernel weights to exactly 0. */
export function squash(k: tf.Tensor, lam: number): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.relu(tf.sub(tf.abs(k), lam)), tf.sign(k)));
}

export interface LongConvKernelOptions {
  lam: number;
  /** The moving-average window, or null for no smoothing (the reference's use_ma_smoothing). */
  smoothingWindow: number | null;
  kernelDropout: number;
}

/** The kernel the convolution uses, [..., length], from the parameter [..., lMax]. Call inside tf.tidy. */
export function longConvKernel(parameter: tf.Tensor, length: number, options: LongConvKernelOptions, ctx: ForwardContext): tf.Tensor {
  // Smoothing runs over the whole parameter, as the reference's, before a shorter input cuts it.
  const smoothed = options.smoothingWindow === null ? parameter : movingAverage(parameter, options.smoothingWindow);
  const lMax = parameter.shape[parameter.rank - 1]!;
  const cut = length === lMax ? smoothed : tf.slice(smoothed, smoothed.shape.map(() => 0), [...smoothed.shape.slice(0, -1), length]);
  return dropout(squash(cut, options.lam), options.kernelDropout, ctx);
}
