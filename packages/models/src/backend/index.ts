// Backend selection and the kernels the project supplies to tfjs backends.
export { BACKEND_REQUESTS, selectBackend } from './select.js';
export type { BackendChoice, BackendName, BackendRequest, SelectBackendOptions } from './select.js';
export { describeMachine } from './machine.js';
export type { MachineDescription } from './machine.js';
export { projectKernelNames, registerProjectKernels } from './kernels.js';
export { startPeakMeter, type PeakMeter } from './peak-memory.js';
