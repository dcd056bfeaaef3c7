// One AdamW update as one fused kernel (../backend/fused/adamw.ts) where the backend has it (cpu,
// wasm); null elsewhere, where the optimizer composes the update from tfjs ops.
import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap } from '@tensorflow/tfjs';
import { ADAMW_KERNEL, type AdamWAttrs } from '../backend/fused/adamw.js';
import { activeBackendHas } from '../backend/fused/register.js';

export type { AdamWAttrs } from '../backend/fused/adamw.js';

/** The updated parameter and moments [p, m, v] of one AdamW step (gradient times `scale`), or null without the kernel. */
export function fusedAdamW(param: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, scale: tf.Tensor | null, attrs: AdamWAttrs): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (param.dtype !== 'float32' || !activeBackendHas(ADAMW_KERNEL)) return null;
  return tf.tidy(() => tf.engine().runKernel(
    ADAMW_KERNEL, { param, grad, m, v, scale: scale ?? tf.scalar(1) }, attrs as unknown as NamedAttrMap,
  ) as [tf.Tensor, tf.Tensor, tf.Tensor]);
}
