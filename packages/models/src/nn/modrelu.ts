// FFTNet's adaptive filter and modReLU (177799f) on a spectrum: one fused kernel each way where
// the backend has it (cpu, wasm: ../backend/fused/modrelu.ts), the same formula in tfjs ops elsewhere.
import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap } from '@tensorflow/tfjs';
import { MODRELU_KERNEL, type ModReluAttrs } from '../backend/fused/modrelu.js';
import { activeBackendHas } from '../backend/fused/register.js';

export type { ModReluAttrs } from '../backend/fused/modrelu.js';

/** The forward pass in tfjs ops: what backends without the kernel run, with tfjs's own gradient. */
export function composedModRelu(re: tf.Tensor, im: tf.Tensor, scale: tf.Tensor, bias: tf.Tensor, attrs: ModReluAttrs): [tf.Tensor, tf.Tensor] {
  const [zr, zi] = [tf.mul(re, scale), tf.mul(im, scale)];
  const magnitude = tf.sqrt(tf.add(tf.add(tf.square(zr), tf.square(zi)), attrs.floor));
  const gain = tf.div(tf.relu(tf.add(magnitude, bias)), tf.maximum(magnitude, attrs.minMagnitude));
  return [tf.mul(zr, gain), tf.mul(zi, gain)];
}

/**
 * z s relu(|z s| + b) / max(|z s|, c) for a spectrum z = re + i im [B, F, H, d], a real filter s
 * [B or 1, F, H, 1] and modReLU's bias b [1, F, H, 1], |.| taken as sqrt(. + floor): FFTNet's
 * filter and activation (177799f). One kernel each way on cpu and wasm; tfjs ops elsewhere.
 */
export function filteredModRelu(re: tf.Tensor, im: tf.Tensor, scale: tf.Tensor, bias: tf.Tensor, attrs: ModReluAttrs): [tf.Tensor, tf.Tensor] {
  if (re.dtype === 'float32' && activeBackendHas(MODRELU_KERNEL)) {
    return tf.engine().runKernel(MODRELU_KERNEL, { re, im, scale, bias }, attrs as unknown as NamedAttrMap) as [tf.Tensor, tf.Tensor];
  }
  return tf.tidy(() => composedModRelu(re, im, scale, bias, attrs));
}

