import { createHash } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Emscripten starts each pthread as a Worker running a small script. tfjs-backend-wasm 4.22 ships
// that script only as a string (wasm-out/...worker.js exports `wasmWorkerContents`) and hands the
// browser a Blob URL of it; Node's worker_threads accept a file path, not a Blob URL. So the
// script is written to a file once per version, named by its hash so that concurrent processes
// agree on it and an upgrade of tfjs never runs a stale copy.

const requireHere = createRequire(import.meta.url);

/** The folder of the emscripten builds inside @tensorflow/tfjs-backend-wasm. */
export function wasmOutDir(): string {
  return join(requireHere.resolve('@tensorflow/tfjs-backend-wasm/package.json'), '..', 'wasm-out');
}

/** The pthread worker's source as a runnable script. */
export function pthreadWorkerSource(): string {
  const shipped = requireHere(join(wasmOutDir(), 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents?: unknown };
  if (typeof shipped.wasmWorkerContents !== 'string') throw new Error('tfjs-backend-wasm-threaded-simd.worker.js exports no wasmWorkerContents');
  // The template literal it comes from turned the source's "\n" escapes into real line breaks,
  // which end a string literal early; tfjs undoes the same thing before making its Blob.
  return shipped.wasmWorkerContents.replace(/\n/g, '\\n');
}

/** Writes the pthread worker script (if not there already) and returns its path. `.cjs`: it uses require. */
export function pthreadWorkerFile(dir = tmpdir()): string {
  const source = pthreadWorkerSource();
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const file = join(dir, `tfjs-wasm-pthread-worker-${hash}.cjs`);
  if (!existsSync(file)) {
    // Written beside and renamed: another process starting at the same time never reads half a file.
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, source);
    renameSync(partial, file);
  }
  return file;
}
