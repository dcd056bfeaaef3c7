// Fused kernels the project adds to every backend that can run JavaScript over its buffers
// (cpu, wasm), and the gradients that use them. Elsewhere the same ops fall back to tfjs ops.
import * as tf from '@tensorflow/tfjs';
import { arrayKernelConfigs, type ArrayKernel } from './array-kernel.js';
import { adamWKernel } from './adamw.js';
import { attentionDropoutBlockGradient, attentionDropoutBlockKernel, attentionDropoutBlockPairKernel } from './attention-dropout-block.js';
import { fusedAttentionGradient, fusedAttentionGradKernel, fusedAttentionKernel } from './fused-attention.js';
import { geluGradGradient, geluGradient, geluGradKernel, geluKernel } from './gelu.js';
import { layerNormGradGradient, layerNormGradient, layerNormGradKernel, layerNormKernel } from './layer-norm.js';
import { modReluGradient, modReluGradKernel, modReluKernel } from './modrelu.js';
import { meanGradient, sumGradient, tileGradient } from './reduce-gradients.js';
import { seededDropoutGradient, seededDropoutKernel } from './seeded-dropout.js';
import { softmaxGradGradient, softmaxGradient, softmaxGradKernel } from './softmax-grad.js';

const FUSED_KERNELS: readonly ArrayKernel[] = [
  seededDropoutKernel, softmaxGradKernel, geluKernel, geluGradKernel, layerNormKernel, layerNormGradKernel,
  // Blocked attention's dropout (the pair only inside blockedAttention's own gradient).
  attentionDropoutBlockKernel, attentionDropoutBlockPairKernel,
  // FFTNet's filter and modReLU (its gradient kernel runs only in unrecorded backward passes).
  modReluKernel, modReluGradKernel,
  // The optimizer's update (no gradient).
  adamWKernel,
  // Softmax attention without its weights (wasm only; the gradient kernel has no gradient: the
  // attention mixer takes the dense path inside a gradient of a gradient).
  fusedAttentionKernel, fusedAttentionGradKernel,
];
// The gradient kernels have gradients too, so everything through them can be differentiated twice.
const FUSED_GRADIENTS: readonly tf.GradConfig[] = [
  seededDropoutGradient, softmaxGradient, softmaxGradGradient, geluGradient, geluGradGradient,
  layerNormGradient, layerNormGradGradient, attentionDropoutBlockGradient, modReluGradient, fusedAttentionGradient,
  // In place of tfjs-core's own, on every backend: tiles of dy, not products with a tensor of
  // ones; a tile's as one sum, not a kernel call per repetition.
  sumGradient, meanGradient, tileGradient,
];

/** Names of the fused kernels registered for `backend` (cpu, wasm; some are wasm's only). */
export function fusedKernelNames(backend: string): string[] {
  return FUSED_KERNELS.filter((kernel) => kernel.backends === undefined || kernel.backends.includes(backend)).map((kernel) => kernel.kernelName);
}

let registered = false;

/** Registers the fused kernels for cpu and wasm and their gradients; later calls do nothing. */
export function registerFusedKernels(): void {
  if (registered) return;
  registered = true;
  for (const kernel of FUSED_KERNELS) {
    for (const config of arrayKernelConfigs(kernel)) {
      if (tf.getKernel(config.kernelName, config.backendName) === undefined) tf.registerKernel(config);
    }
  }
  // Softmax's replaces tfjs-core's own, the same formula in fewer passes; Sum's and Mean's too.
  for (const config of FUSED_GRADIENTS) tf.registerGradient(config);
}

/** Whether the active backend runs `kernelName` (a fused kernel) itself. */
export function activeBackendHas(kernelName: string): boolean {
  registerFusedKernels();
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}
