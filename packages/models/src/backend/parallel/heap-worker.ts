// One of the heap's worker threads (heap-pool.ts): waits for a job, runs its slice of it on the
// shared wasm heap, says it is done. It blocks in Atomics.wait between jobs and never returns to
// its event loop; the pool unrefs it, so it never keeps the process alive.
import { parentPort, workerData } from 'node:worker_threads';
import { CONTROL, TASK, runPart } from './tasks.js';

interface HeapWorkerData {
  memory: { readonly buffer: ArrayBufferLike };
  control: Int32Array;
  job: Float64Array;
  part: number;
  parts: number;
}

const { memory, control, job, part, parts } = workerData as HeapWorkerData;
// Read before saying ready: the first job the main thread posts is then always seen as new.
let seen = Atomics.load(control, CONTROL.generation);
parentPort?.postMessage('ready');
for (;;) {
  Atomics.wait(control, CONTROL.generation, seen);
  seen = Atomics.load(control, CONTROL.generation);
  if (job[0] === TASK.stop) break;
  try {
    // memory.buffer, not a kept view: the heap may have grown since the last job.
    runPart(memory.buffer, job, part, parts);
  } catch {
    Atomics.store(control, CONTROL.failed, 1);
  }
  if (Atomics.sub(control, CONTROL.pending, 1) === 1) Atomics.notify(control, CONTROL.pending);
}
