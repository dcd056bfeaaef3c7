// One of the heap's worker threads (heap-pool.ts): waits for a job, takes its slice of it unless
// the main thread already has, runs it on the shared wasm heap, counts it done. It blocks in Atomics.wait between jobs and never returns to
// its event loop; the pool unrefs it, so it never keeps the process alive.
import { parentPort, workerData } from 'node:worker_threads';
import { CONTROL, TASK, claimSlice, runPart } from './tasks.js';

interface HeapWorkerData {
  memory: { readonly buffer: ArrayBufferLike };
  control: Int32Array;
  job: Float64Array;
  scratch: Float64Array;
  part: number;
  parts: number;
}

const { memory, control, job, scratch, part, parts } = workerData as HeapWorkerData;
// Read before saying ready: the first job the main thread posts is then always seen as new.
let seen = Atomics.load(control, CONTROL.generation);
parentPort?.postMessage('ready');
for (;;) {
  Atomics.wait(control, CONTROL.generation, seen);
  seen = Atomics.load(control, CONTROL.generation);
  if (job[0] === TASK.stop) break;
  // The main thread may have taken this slice already (this thread woke late): then nothing to do.
  if (!claimSlice(control, part, seen)) continue;
  try {
    // memory.buffer, not a kept view: the heap may have grown since the last job.
    runPart(memory.buffer, job, part, parts, scratch, memory);
  } catch {
    Atomics.store(control, CONTROL.failed, 1);
  }
  if (Atomics.add(control, CONTROL.done, 1) + 1 === parts) Atomics.notify(control, CONTROL.done);
}
