import * as tf from '@tensorflow/tfjs';
import { BackendWasm, getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { heapThreads, startHeapPool } from '../parallel/heap-pool.js';
import { MAX_WASM_THREADS, addTfjsWrappers, loadThreadedModule, unrefWorkers } from './threaded-module.js';

// Which build of the wasm backend starts, and with how many threads. tfjs registers 'wasm' with a
// factory that, under Node, always starts the single-threaded SIMD build; for more than one
// thread the factory is replaced, before the backend first initialises, by one that starts the
// threaded SIMD build and checks the pool it got. One process has one wasm module: the first
// start decides its threads for good.

export interface WasmThreads {
  /** Threads in XNNPACK's pool, as the module itself reports them after start-up. */
  threads: number;
  /** What was asked for. */
  requested: number;
  /** Why fewer threads than asked for run (capped, or the threaded build failed and fell back). */
  note?: string;
  /** Threads the project's JavaScript kernels split over (parallel/heap-pool.ts); 1: not split. */
  kernelThreads: number;
}

const WASM_PRIORITY = 2;

let started: WasmThreads | undefined;

/** The pool of the wasm module this process started, or undefined before it starts. */
export function wasmThreads(): WasmThreads | undefined {
  return started;
}

/** Whether the wasm backend has started in this process (tf.findBackend would start it). */
function wasmStarted(): boolean {
  const engine = tf.engine() as unknown as { registry: Record<string, unknown> };
  return engine.registry['wasm'] !== undefined;
}

/** The module's own count; the single-threaded build has no pool and says -1. */
function poolThreads(): number {
  return Math.max(1, getThreadsCount());
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]?.trim() ?? text;
}

type ModuleLoader = typeof loadThreadedModule;

/** A backend factory that starts the threaded build with `threads` threads, or throws why not. */
function threadedFactory(
  threads: number, load: ModuleLoader, onFailure: (reason: string) => void, log?: (msg: string) => void,
): () => Promise<tf.KernelBackend> {
  return async () => {
    try {
      const module = await load(threads);
      addTfjsWrappers(module);
      // BackendWasm's constructor creates the pool from this count, after the workers have loaded.
      setThreadsCount(threads);
      let backend: BackendWasm;
      try {
        backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
      } catch (error) {
        module.PThread.terminateAllThreads();
        throw error;
      }
      unrefWorkers(module);
      const actual = poolThreads();
      if (actual !== threads) {
        module.PThread.terminateAllThreads();
        throw new Error(`XNNPACK's pool has ${actual} thread(s), not ${threads}`);
      }
      // The JavaScript kernels' own threads, on the same shared heap; without them the backend
      // still runs, with those kernels on the main thread only.
      if (module.wasmMemory !== undefined) {
        await startHeapPool(module.wasmMemory, threads).catch((error: unknown) => log?.(`wasm threads: JavaScript kernels stay on one thread (${message(error)})`));
      }
      return backend;
    } catch (error) {
      onFailure(message(error));
      throw error;
    }
  };
}

/**
 * Makes the wasm backend current with `threads` threads (1: tfjs's own single-threaded build, no
 * workers). Returns the pool the module reports. Where the threaded build cannot start, tfjs's
 * single-threaded build runs instead and `note` says why; `log` receives that line. `load` starts
 * the threaded module (replaced in tests, to make it fail).
 */
export async function startWasm(threads: number, log?: (msg: string) => void, load: ModuleLoader = loadThreadedModule): Promise<boolean> {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a whole number >= 1, got ${threads}`);
  if (wasmStarted()) {
    // Started earlier in this process: its pool stays what it is.
    const ok = await tf.setBackend('wasm');
    if (ok && started !== undefined && started.threads !== threads) {
      log?.(`wasm threads: ${started.threads} (the backend started earlier in this process with ${started.requested} asked for; ${threads} cannot apply)`);
    }
    return ok;
  }
  const wanted = Math.min(threads, MAX_WASM_THREADS);
  const capped = wanted < threads ? `capped at ${MAX_WASM_THREADS}, the build's pre-created pthread workers` : undefined;
  if (wanted > 1) {
    const original = tf.findBackendFactory('wasm');
    let failure = 'failed to initialise';
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', threadedFactory(wanted, load, (reason) => (failure = reason), log), WASM_PRIORITY);
    let ok = false;
    try {
      ok = await tf.setBackend('wasm');
    } catch (error) {
      failure = message(error);
    }
    if (ok) {
      started = { threads: poolThreads(), requested: threads, kernelThreads: heapThreads(), ...(capped ? { note: capped } : {}) };
      if (capped) log?.(`wasm threads: ${capped}`);
      return true;
    }
    tf.removeBackend('wasm');
    if (original !== null) tf.registerBackend('wasm', original, WASM_PRIORITY);
    const note = `the threaded build did not start (${failure}); running single-threaded`;
    log?.(`wasm threads: ${note}`);
    const fallback = await tf.setBackend('wasm');
    if (fallback) started = { threads: poolThreads(), requested: threads, kernelThreads: 1, note };
    return fallback;
  }
  const ok = await tf.setBackend('wasm');
  if (ok) started = { threads: poolThreads(), requested: threads, kernelThreads: 1 };
  return ok;
}
