import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

// The wasm backend's own kernels that project kernels replace but still hand the cases they do
// not cover (other dtypes, rare layouts), remembered when the replacement is registered.
const own = new Map<string, KernelFunc>();

/** Remembers `config` as the backend's own kernel for its name, unless one is remembered already. */
export function rememberBackendKernel(config: KernelConfig): void {
  if (!own.has(config.kernelName)) own.set(config.kernelName, config.kernelFunc);
}

/** Runs the backend's own kernel `kernelName`, which a project kernel replaced. */
export function runBackendKernel(
  kernelName: string, inputs: NamedTensorInfoMap, backend: unknown, attrs: NamedAttrMap,
): TensorInfo | TensorInfo[] {
  const kernelFunc = own.get(kernelName);
  if (kernelFunc === undefined) throw new Error(`the wasm backend's own ${kernelName} kernel was not kept`);
  return kernelFunc({ inputs, backend: backend as tf.KernelBackend, attrs });
}
