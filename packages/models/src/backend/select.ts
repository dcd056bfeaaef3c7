import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerProjectKernels } from './kernels.js';
import { describeMachine } from './machine.js';
import { quietTfjs } from './quiet-tfjs.js';
import { findVulkanLoader } from './vulkan.js';
import { startWasm, wasmThreads } from './wasm-threads/start-wasm.js';

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type BackendRequest = BackendName | 'auto';
/** Which build of a backend: 'tensorflow' is libtensorflow's GPU build or its CPU build. */
export type BackendLabel = 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

export interface BackendChoice {
  name: BackendName;
  /** The name tfjs knows the backend by (tf.getBackend()). */
  tfjsBackend: string;
  /** The build that loaded (tensorflow-gpu and tensorflow are both `name` tensorflow). */
  label: BackendLabel;
  requested: BackendRequest;
  /** Why this one: requested explicitly, or the first that loaded and why the better ones did not. */
  reason: string;
  /** Every backend tried before this one, and why it could not be used (the reason names it). */
  rejected: Array<{ name: BackendName; label: BackendLabel; reason: string }>;
  /** The device it computes on, where known. */
  device?: string;
  /**
   * Threads the backend computes on, as it reports them after start-up (wasm: XNNPACK's pool;
   * cpu: 1); absent where the backend does not say (tensorflow, webgpu).
   */
  threads?: number;
  /** Why `threads` differs from the threads asked for. */
  threadsNote?: string;
  /** Threads the project's JavaScript kernels split over on the shared wasm heap (1: not split). */
  kernelThreads?: number;
}

export interface SelectBackendOptions {
  /** Receives one line saying which backend was chosen and why. */
  log?: (msg: string, fields?: object) => void;
  /**
   * Threads for the wasm backend; default 1 (tfjs's single-threaded build, no worker threads).
   * More start the threaded SIMD build; the first wasm start of a process decides its threads.
   */
  threads?: number;
}

export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

type Attempt =
  | { ok: true; tfjsBackend: string; device?: string }
  | { ok: false; reason: string };

interface Candidate {
  name: BackendName;
  label: BackendLabel;
  load(opts: SelectBackendOptions): Promise<Attempt>;
}

const requireFromHere = createRequire(import.meta.url);

function isInstalled(specifier: string): boolean {
  try {
    requireFromHere.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]?.trim() ?? text;
}

async function activate(tfjsBackend: string, label: string, device?: string): Promise<Attempt> {
  let ok = false;
  try {
    ok = await tf.setBackend(tfjsBackend);
  } catch (error) {
    return { ok: false, reason: `${label}: failed to initialise (${firstLine(error)})` };
  }
  if (!ok) return { ok: false, reason: `${label}: failed to initialise` };
  return device === undefined ? { ok: true, tfjsBackend } : { ok: true, tfjsBackend, device };
}

function nvidiaGpuName(): string | undefined {
  try {
    const names = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
      encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'],
    });
    return names.split('\n')[0]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

// Both tensorflow packages download libtensorflow when installed, so either may be absent.
// The GPU build runs on the CPU when it finds no CUDA device; that is still the tensorflow
// backend, but not the one asked for first.
async function loadTensorflowGpu(): Promise<Attempt> {
  const specifier = '@tensorflow/tfjs-node-gpu';
  if (!isInstalled(specifier)) return { ok: false, reason: 'tensorflow-gpu not installed' };
  try {
    await import(specifier);
  } catch (error) {
    return { ok: false, reason: `tensorflow-gpu: failed to load (${firstLine(error)})` };
  }
  const attempt = await activate('tensorflow', 'tensorflow-gpu');
  if (!attempt.ok) return attempt;
  const usingGpu = (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
  if (!usingGpu) {
    return { ok: false, reason: 'tensorflow-gpu: no CUDA device (needs CUDA 11.2 and cuDNN 8.1)' };
  }
  return { ok: true, tfjsBackend: 'tensorflow', device: nvidiaGpuName() ?? 'CUDA GPU' };
}

async function loadTensorflowCpu(): Promise<Attempt> {
  const cpu = describeMachine().cpu;
  // Loaded already as the GPU build without a GPU: its CPU kernels are the same library.
  if (tf.findBackendFactory('tensorflow') != null) return activate('tensorflow', 'tensorflow', cpu);
  const specifier = '@tensorflow/tfjs-node';
  if (!isInstalled(specifier)) return { ok: false, reason: 'tensorflow not installed' };
  try {
    await import(specifier);
  } catch (error) {
    return { ok: false, reason: `tensorflow: failed to load (${firstLine(error)})` };
  }
  return activate('tensorflow', 'tensorflow', cpu);
}

interface DawnAdapter {
  info?: { vendor?: string; architecture?: string; description?: string };
}

interface DawnModule {
  create(flags: string[]): { requestAdapter(options?: object): Promise<DawnAdapter | null> };
  globals: object;
}

function setNavigatorGpu(gpu: unknown): void {
  const global = globalThis as { navigator?: object };
  if (global.navigator === undefined) {
    global.navigator = {};
  }
  Object.defineProperty(global.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
}

function clearNavigatorGpu(): void {
  const navigator = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (navigator !== undefined) Reflect.deleteProperty(navigator, 'gpu');
}

type AdapterProbe = { ok: true; adapter: DawnAdapter } | { ok: false; reason: string };

// Dawn is created once per process: each instance probes the drivers again, and on a machine
// without Vulkan says so on stderr every time.
let adapterProbe: Promise<AdapterProbe> | undefined;

async function probeAdapter(): Promise<AdapterProbe> {
  try {
    const specifier = 'webgpu';
    const dawn = (await import(specifier)) as DawnModule;
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create([]);
    setNavigatorGpu(gpu);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter !== null) return { ok: true, adapter };
    clearNavigatorGpu();
    return { ok: false, reason: 'webgpu: no GPU adapter' };
  } catch (error) {
    clearNavigatorGpu();
    return { ok: false, reason: `webgpu: failed to load Dawn (${firstLine(error)})` };
  }
}

// WebGPU in Node is Dawn, from the npm package `webgpu`. The tfjs webgpu backend registers
// itself only where navigator.gpu exists, so it is imported after an adapter has been found.
async function loadWebgpu(): Promise<Attempt> {
  if (!isInstalled('webgpu')) return { ok: false, reason: 'webgpu not installed' };
  if (!isInstalled('@tensorflow/tfjs-backend-webgpu')) {
    return { ok: false, reason: 'webgpu: @tensorflow/tfjs-backend-webgpu not installed' };
  }
  if (findVulkanLoader() === null) return { ok: false, reason: 'webgpu: no Vulkan loader (libvulkan.so.1) on this machine' };
  adapterProbe ??= probeAdapter();
  const probe = await adapterProbe;
  if (!probe.ok) return probe;
  try {
    const specifier = '@tensorflow/tfjs-backend-webgpu';
    await import(specifier);
  } catch (error) {
    return { ok: false, reason: `webgpu: failed to load the tfjs backend (${firstLine(error)})` };
  }
  const info = probe.adapter.info;
  const device = [info?.vendor, info?.architecture, info?.description]
    .filter((part) => part !== undefined && part !== '').join(' ');
  return activate('webgpu', 'webgpu', device === '' ? undefined : device);
}

async function loadWasm(opts: SelectBackendOptions): Promise<Attempt> {
  let ok = false;
  try {
    ok = await startWasm(opts.threads ?? 1, (line) => opts.log?.(line));
  } catch (error) {
    return { ok: false, reason: `wasm: failed to initialise (${firstLine(error)})` };
  }
  if (!ok) return { ok: false, reason: 'wasm: failed to initialise' };
  return { ok: true, tfjsBackend: 'wasm', device: describeMachine().cpu };
}

/** Candidates in order of preference, each tried only if the ones before it failed. */
const CANDIDATES: readonly Candidate[] = [
  { name: 'tensorflow', label: 'tensorflow-gpu', load: loadTensorflowGpu },
  { name: 'tensorflow', label: 'tensorflow', load: loadTensorflowCpu },
  { name: 'webgpu', label: 'webgpu', load: loadWebgpu },
  { name: 'wasm', label: 'wasm', load: loadWasm },
  { name: 'cpu', label: 'cpu', load: () => activate('cpu', 'cpu', describeMachine().cpu) },
];

function isBackendRequest(request: string): request is BackendRequest {
  return (BACKEND_REQUESTS as readonly string[]).includes(request);
}

/**
 * Makes one tfjs backend current and says which and why. 'auto' takes the first that loads of
 * tensorflow GPU, tensorflow CPU, webgpu, wasm and cpu; an explicit name that cannot load is an
 * error saying why, never a silent fallback. Also silences tfjs's console noise and installs the
 * project's kernels for the chosen backend.
 */
export async function selectBackend(
  request: BackendRequest = 'auto', opts: SelectBackendOptions = {},
): Promise<BackendChoice> {
  if (!isBackendRequest(request)) {
    throw new Error(`unknown backend '${String(request)}'; expected one of ${BACKEND_REQUESTS.join(', ')}`);
  }
  quietTfjs();
  const candidates = CANDIDATES.filter((c) => request === 'auto' || c.name === request);
  const rejected: BackendChoice['rejected'] = [];
  for (const candidate of candidates) {
    const attempt = await candidate.load(opts);
    if (!attempt.ok) {
      rejected.push({ name: candidate.name, label: candidate.label, reason: attempt.reason });
      continue;
    }
    registerProjectKernels(attempt.tfjsBackend);
    await tf.ready();
    const why = rejected.map((r) => r.reason).join('; ');
    const reason = request === 'auto'
      ? (why === '' ? 'most preferred backend available' : `first that loaded: ${why}`)
      : (why === '' ? 'requested explicitly' : `requested explicitly: ${why}`);
    const choice: BackendChoice = {
      name: candidate.name, label: candidate.label, tfjsBackend: attempt.tfjsBackend, requested: request, reason, rejected,
    };
    if (attempt.device !== undefined) choice.device = attempt.device;
    if (candidate.name === 'cpu') choice.threads = 1;
    const pool = wasmThreads();
    if (candidate.name === 'wasm' && pool !== undefined) {
      choice.threads = pool.threads;
      choice.kernelThreads = pool.kernelThreads;
      if (pool.note !== undefined) choice.threadsNote = pool.note;
    }
    // One short line (every command logs it); why each better backend did not load is in the
    // line's fields and in each run's report.md.
    const notAvailable = rejected.length === 0 ? '' : `; not available: ${rejected.map((r) => r.label).join(', ')}`;
    const threads = choice.threads !== undefined && choice.threads > 1 ? `, ${choice.threads} threads` : '';
    opts.log?.(`backend ${choice.label} (${request}${notAvailable}${threads})`, { ...choice });
    return choice;
  }
  throw new Error(
    `backend ${request} cannot be used: ${rejected.map((r) => r.reason).join('; ')}`,
  );
}
