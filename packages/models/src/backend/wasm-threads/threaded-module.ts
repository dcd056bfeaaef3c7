import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { pthreadWorkerFile, wasmOutDir } from './pthread-worker-file.js';

// The threaded SIMD build of tfjs-backend-wasm 4.22, started by the project rather than by tfjs:
// tfjs turns threads off under Node (its flag WASM_HAS_MULTITHREAD_SUPPORT, tfjs issue 3830) and
// would hand the workers Blob URLs. Everything here goes through emscripten's documented module
// options (locateFile, mainScriptUrlOrBlob, instantiateWasm); nothing in node_modules changes.

// The project's compiler settings carry no WebAssembly types (no DOM library); the little used
// here is declared by hand.
interface WasmMemory { readonly buffer: ArrayBufferLike }
type WasmInstance = object;
type WasmCompiled = object;
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: WasmInstance; module: WasmCompiled }>;
};

/** emscripten's pthread bookkeeping, as far as the project uses it. */
export interface PThreadPool {
  unusedWorkers: Worker[];
  runningWorkers: Worker[];
  terminateAllThreads(): void;
}

/** The emscripten module, with the wrappers tfjs's BackendWasm expects under `tfjs`. */
export interface ThreadedWasmModule {
  PThread: PThreadPool;
  wasmMemory?: WasmMemory;
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  tfjs?: Record<string, (...args: number[]) => number>;
}

type ModuleOptions = {
  locateFile(path: string, prefix: string): string;
  mainScriptUrlOrBlob: string;
  instantiateWasm(imports: { env: Record<string, unknown> }, receive: (instance: WasmInstance, module: WasmCompiled) => void): object;
  PThread?: PThreadPool;
};

type Factory = (options: ModuleOptions) => Promise<ThreadedWasmModule>;

const requireHere = createRequire(import.meta.url);

/** Most threads the build can run: it pre-creates 8 pthread workers and caps XNNPACK's pool at 8. */
export const MAX_WASM_THREADS = 8;

/**
 * Starts the threaded module with `threads` for XNNPACK's pool. The module's promise settles only
 * after all its pthread workers have loaded; a worker that never loads would leave it pending, so
 * `timeoutMs` bounds the wait and stops the workers.
 */
export async function loadThreadedModule(threads: number, timeoutMs = 30_000): Promise<ThreadedWasmModule> {
  const dir = wasmOutDir();
  const glue = join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  const factory = requireHere(glue) as Factory;
  const workerFile = pthreadWorkerFile();
  const binary = readFileSync(join(dir, 'tfjs-backend-wasm-threaded-simd.wasm'));
  let memory: WasmMemory | undefined;
  const options: ModuleOptions = {
    locateFile: (path, prefix) => (path.endsWith('.worker.js') ? workerFile : prefix + path),
    // Each worker evaluates the glue itself (importScripts of a path, which Node's workers can read).
    mainScriptUrlOrBlob: glue,
    instantiateWasm(imports, receive) {
      // The C++ side sizes its pool as min(requested, 8, logical cores / 2), the halving meant for
      // hyper-threads, and reads the cores once at start-up. Reporting twice the threads asked
      // for makes the request, not a guess about the CPU, decide the pool.
      imports.env['emscripten_num_logical_cores'] = () => 2 * threads;
      // Kept: heap views are taken from the memory itself (a pthread may grow it).
      memory = imports.env['memory'] as WasmMemory;
      WebAssembly.instantiate(binary, imports).then(
        (result) => receive(result.instance, result.module),
        (error: unknown) => rejectLoad(error),
      );
      return {};
    },
  };
  let rejectLoad: (error: unknown) => void = () => {};
  let timer: NodeJS.Timeout | undefined;
  const failed = new Promise<never>((_, reject) => {
    rejectLoad = reject;
    timer = setTimeout(() => reject(new Error(`its pthread workers did not load within ${timeoutMs / 1000} s`)), timeoutMs);
    timer.unref();
  });
  try {
    const module = await Promise.race([factory(options), failed]);
    if (memory !== undefined) module.wasmMemory = memory;
    return module;
  } catch (error) {
    // The options object is the module while it loads: its workers can be stopped from here.
    options.PThread?.terminateAllThreads();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Adds the C++ entry points tfjs's BackendWasm calls (the same wrappers tfjs's own loader adds). */
export function addTfjsWrappers(module: ThreadedWasmModule): void {
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
}

/**
 * Lets the process exit with the pool alive: emscripten refs a worker while it runs a pthread,
 * and XNNPACK's pool threads run (waiting for work) for as long as the module lives.
 */
export function unrefWorkers(module: ThreadedWasmModule): void {
  for (const worker of [...module.PThread.runningWorkers, ...module.PThread.unusedWorkers]) worker.unref();
}
