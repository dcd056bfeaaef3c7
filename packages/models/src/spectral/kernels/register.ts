// Registration of the spectral kernels: JavaScript kernels on the backends whose memory it can
// read in place (cpu, wasm), tf.spectral's native FFT on 'tensorflow' (tfjs-node), and the
// real-valued tfjs-op DFT everywhere else (webgl, webgpu, any backend registered later).
// Registering for a backend name that is not loaded only adds an entry to tfjs's registry.
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc } from '@tensorflow/tfjs';
import { cpuMemory, wasmMemory, type ArrayMemory } from './array-memory.js';
import { arrayKernelFunc } from './array-kernels.js';
import { registerSpectralGradients } from './gradients.js';
import { SPECTRAL_KERNEL_NAMES, type SpectralKernelName } from './kernel-names.js';
import { nativeSpectralDft, realValuedDft, tensorKernelFunc } from './tensor-kernels.js';

const ARRAY_BACKENDS: Record<string, ArrayMemory> = { cpu: cpuMemory, wasm: wasmMemory };

/** How the spectral kernels run on a backend, by its registered name. */
export type SpectralKernelFamily = 'javascript' | 'native-fft' | 'tensor-ops';

export function kernelFamilyFor(backendName: string): SpectralKernelFamily {
  if (backendName in ARRAY_BACKENDS) return 'javascript';
  if (backendName === 'tensorflow') return 'native-fft';
  return 'tensor-ops';
}

function kernelFuncFor(name: SpectralKernelName, backendName: string): KernelFunc {
  const memory = ARRAY_BACKENDS[backendName];
  if (memory !== undefined) return arrayKernelFunc(name, memory);
  return tensorKernelFunc(name, backendName === 'tensorflow' ? nativeSpectralDft : realValuedDft);
}

const registeredBackends = new Set<string>();

/** Registers every spectral kernel for `backendName`, keeping any already registered. */
export function registerSpectralKernels(backendName: string): void {
  for (const kernelName of SPECTRAL_KERNEL_NAMES) {
    if (tf.getKernel(kernelName, backendName) === undefined) {
      tf.registerKernel({ kernelName, backendName, kernelFunc: kernelFuncFor(kernelName, backendName) });
    }
  }
  registeredBackends.add(backendName);
}

/** Makes sure the active backend has the spectral kernels (a custom backend gets tensor ops). */
export function ensureSpectralKernels(): void {
  const backendName = tf.getBackend();
  if (!registeredBackends.has(backendName)) registerSpectralKernels(backendName);
}

export const KNOWN_BACKENDS = ['cpu', 'wasm', 'tensorflow', 'webgl', 'webgpu'] as const;

export function registerAllSpectralKernels(): void {
  for (const backendName of KNOWN_BACKENDS) registerSpectralKernels(backendName);
  registerSpectralGradients();
}
