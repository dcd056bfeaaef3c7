// The project's JavaScript kernels split over the wasm backend's threads. In the threaded build
// the heap is shared memory, so Node worker threads can read and write tensors where they lie; a
// job is handed over and finished through Atomics on shared counters, because a tfjs kernel runs
// synchronously and cannot await a message. Results are the same for any number of threads:
// slices are independent (rows, or mask elements indexed in the whole tensor).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SeededDropoutAttrs } from '../fused/seeded-dropout-mask.js';
import { columnSumsSimdFor, layerNormSimdFor } from '../simd/simd-kernels.js';
import { productUnits, type ProductBatch } from '../wasm/simd-product-slices.js';
import type { ModReluLayout } from '../fused/modrelu-rows.js';
import type { BinaryLayout } from '../wasm/binary-layout.js';
import { ADAMW_ATTR_ORDER, type AdamWAttrs } from '../fused/adamw-values.js';
import { BACKWARD_FIELDS, FORWARD_FIELDS, forwardUnits, type AttentionBackwardJob, type AttentionForwardJob } from '../fused/attention-rows.js';
import { encodeJob } from './job-fields.js';
import { CONTROL, JOB_LENGTH, modReluJobTail, MAX_PARTS, MAX_SUMS_WIDTH, SCRATCH_LENGTH, TASK, claimSlice, runPart } from './tasks.js';

interface HeapPool {
  memory: { readonly buffer: ArrayBufferLike };
  control: Int32Array;
  job: Float64Array;
  /** Where slices leave partial sums for the main thread to add. */
  scratch: Float64Array;
  workers: Worker[];
  /** Slices per job: the workers and the main thread. */
  parts: number;
  /** The last job's number (CONTROL.generation). */
  generation: number;
}

/** Below this many elements a job costs more to hand over than it saves. */
export const MIN_SPLIT_ELEMENTS = 1 << 16;

let pool: HeapPool | undefined;

/** Threads the JavaScript kernels split over: 1 until a pool starts. */
export function heapThreads(): number {
  return pool?.parts ?? 1;
}

/**
 * Starts `threads - 1` workers over the shared heap `memory`. Returns the threads that will split
 * the kernels: 1 where no worker script is compiled (the sources run under a test runner that
 * transpiles on the fly; Node's workers load only JavaScript), or where `threads` is 1.
 */
export async function startHeapPool(memory: { readonly buffer: ArrayBufferLike }, threads: number): Promise<number> {
  if (pool !== undefined) return pool.parts;
  // LRA_HEAP_WORKER: the compiled worker for programs that run these sources (the step profiler).
  const script = process.env['LRA_HEAP_WORKER'] ? pathToFileURL(process.env['LRA_HEAP_WORKER']) : new URL('./heap-worker.js', import.meta.url);
  if (threads < 2 || !(memory.buffer instanceof SharedArrayBuffer) || !existsSync(fileURLToPath(script))) return 1;
  if (threads > MAX_PARTS) throw new Error(`the heap pool takes at most ${MAX_PARTS} threads, got ${threads}`);
  const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL.length));
  const job = new Float64Array(new SharedArrayBuffer(8 * JOB_LENGTH));
  const scratch = new Float64Array(new SharedArrayBuffer(8 * SCRATCH_LENGTH));
  const workers = Array.from({ length: threads - 1 }, (_, i) => new Worker(script, { workerData: { memory, control, job, scratch, part: i + 1, parts: threads } }));
  try {
    await Promise.all(workers.map((worker) => new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    })));
  } catch (error) {
    for (const worker of workers) void worker.terminate();
    throw error;
  }
  for (const worker of workers) worker.unref();
  pool = { memory, control, job, scratch, workers, parts: threads, generation: 0 };
  return threads;
}

/** Runs the job in pool.job: slice 0 here, the others on the workers (or here, where no worker took them yet). */
function runJob(active: HeapPool): void {
  const { control, job, parts } = active;
  const generation = ++active.generation;
  for (let part = 0; part < parts; part++) Atomics.store(control, CONTROL.claims + part, -generation);
  Atomics.store(control, CONTROL.done, 0);
  Atomics.store(control, CONTROL.failed, 0);
  // Last, after the job and the claims: a worker that sees this generation sees them too.
  Atomics.store(control, CONTROL.generation, generation);
  Atomics.notify(control, CONTROL.generation);
  let error: unknown;
  for (let part = 0; part < parts; part++) {
    if (!claimSlice(control, part, generation)) continue;
    try {
      runPart(active.memory.buffer, job, part, parts, active.scratch, active.memory);
    } catch (e) {
      error ??= e;
    }
    Atomics.add(control, CONTROL.done, 1);
  }
  // Waits even after an error here: the workers must be done with the job before the next one.
  for (let done = Atomics.load(control, CONTROL.done); done !== parts; done = Atomics.load(control, CONTROL.done)) {
    Atomics.wait(control, CONTROL.done, done);
  }
  if (error !== undefined) throw error;
  if (Atomics.load(control, CONTROL.failed) !== 0) throw new Error(`a heap worker failed on task ${job[0]}`);
}

/** The pool, where these arrays lie on its heap and are large enough to split. */
function poolFor(arrays: readonly (Float32Array | Int32Array)[], elements: number): HeapPool | undefined {
  if (pool === undefined || elements < MIN_SPLIT_ELEMENTS) return undefined;
  return arrays.every((a) => a.buffer instanceof SharedArrayBuffer) ? pool : undefined;
}

/** Seeded dropout of x into out over the pool's threads; false (nothing done) where it does not apply. */
export function splitSeededDropout(x: Float32Array, out: Float32Array, attrs: SeededDropoutAttrs): boolean {
  const active = poolFor([x, out], x.length);
  if (active === undefined) return false;
  active.job.set([TASK.seededDropout, x.byteOffset, out.byteOffset, x.length, attrs.seed, attrs.rate, attrs.offset ?? 0]);
  runJob(active);
  return true;
}

/** The softmax gradient of `rows` rows of length n over the pool's threads; false where it does not apply. */
export function splitSoftmaxGrad(dy: Float32Array, y: Float32Array, rows: number, n: number, dx: Float32Array): boolean {
  const active = poolFor([dy, y, dx], rows * n);
  if (active === undefined || rows < 2) return false;
  active.job.set([TASK.softmaxGrad, dy.byteOffset, y.byteOffset, dx.byteOffset, rows, n]);
  runJob(active);
  return true;
}

/** Layer norm's forward pass over the pool's threads, by rows; false where it does not apply. */
export function splitLayerNorm(
  x: Float32Array, scale: Float32Array, bias: Float32Array, d: number, eps: number,
  y: Float32Array, mean: Float32Array, rstd: Float32Array,
): boolean {
  const active = poolFor([x, scale, bias, y, mean, rstd], x.length);
  if (active === undefined || mean.length < 2) return false;
  active.job.set([TASK.layerNorm, x.byteOffset, scale.byteOffset, bias.byteOffset, y.byteOffset, mean.byteOffset, rstd.byteOffset, mean.length, d, eps]);
  runJob(active);
  return true;
}

/**
 * rfft of `rows` rows over the pool's threads (see real-rows.ts for the arguments); false where it
 * does not apply. scratchAt >= 0: the SIMD path's work area (../simd/real-fft-rows.ts), twiddles written.
 */
export function splitRfft(
  x: Float32Array, rows: number, inLength: number, n: number, re: Float32Array, im: Float32Array, scale: number, interiorWeight: number,
  inner = 1, scratchAt = -1,
): boolean {
  const active = poolFor([x, re, im], rows * Math.max(inLength, n));
  if (active === undefined || rows < 4) return false;
  active.job.set([TASK.rfft, x.byteOffset, re.byteOffset, im.byteOffset, rows, inLength, n, scale, interiorWeight, inner, scratchAt]);
  runJob(active);
  return true;
}

/** irfft of `rows` rows over the pool's threads; false where it does not apply. */
export function splitIrfft(
  re: Float32Array, im: Float32Array, rows: number, n: number, y: Float32Array, outLength: number, scale: number, interiorWeight: number,
  inner = 1, scratchAt = -1,
): boolean {
  const active = poolFor([re, im, y], rows * Math.max(outLength, n));
  if (active === undefined || rows < 4) return false;
  active.job.set([TASK.irfft, re.byteOffset, im.byteOffset, y.byteOffset, rows, n, outLength, scale, interiorWeight, inner, scratchAt]);
  runJob(active);
  return true;
}

/**
 * Complex DFTs of `rows` rows of length n over the pool's threads (complex-rows.ts's fftRows);
 * false where it does not apply. scratchAt >= 0: the SIMD path's work area, twiddles written.
 */
export function splitFft(
  re: Float32Array, im: Float32Array, rows: number, n: number, outRe: Float32Array, outIm: Float32Array, inverse: boolean, scale: number, scratchAt = -1,
): boolean {
  const active = poolFor([re, im, outRe, outIm], rows * n);
  if (active === undefined || rows < 2) return false;
  active.job.set([TASK.fft, re.byteOffset, im.byteOffset, outRe.byteOffset, outIm.byteOffset, rows, n, inverse ? 1 : 0, scale, scratchAt]);
  runJob(active);
  return true;
}

/** FNet's mixing of `batch` [N, D] blocks over the pool's threads; false where it does not apply. scratchAt >= 0: the SIMD path's work area. */
export function splitFnetMix(x: Float32Array, batch: number, N: number, D: number, y: Float32Array, scratchAt = -1): boolean {
  const active = poolFor([x, y], x.length);
  if (active === undefined || batch < 2) return false;
  active.job.set([TASK.fnetMix, x.byteOffset, y.byteOffset, batch, N, D, scratchAt]);
  runJob(active);
  return true;
}

/**
 * Layer norm's gradient over the pool's threads; false where it does not apply. dx is per row, as
 * on one thread. The scale and bias gradients are sums over rows: with the SIMD kernels (widths
 * that are multiples of 4) each slice sums its own columns over all rows, the bits of one thread;
 * else each slice sums its own rows, and the slices' sums are added here in slice order, so a
 * given thread count always gives the same bits, and another count differs only by the order of
 * those additions.
 */
export function splitLayerNormGrad(
  dy: Float32Array, x: Float32Array, scale: Float32Array, mean: Float32Array, rstd: Float32Array, d: number,
  dx: Float32Array, dscale: Float32Array, dbias: Float32Array, scratch?: Float32Array,
): boolean {
  const active = poolFor([dy, x, scale, mean, rstd, dx], x.length);
  if (active === undefined || mean.length < 2 || d > MAX_SUMS_WIDTH) return false;
  // With the SIMD kernels each slice writes its own columns of dscale and dbias, its float64 sums
  // in its own columns of `scratch` (4 d floats); -1: partial sums in the pool's scratch.
  const simd = dscale.buffer === dx.buffer && dbias.buffer === dx.buffer && scratch?.buffer === dx.buffer && scratch.length >= 4 * d &&
    layerNormSimdFor(active.memory, d) !== null && columnSumsSimdFor(active.memory) !== null;
  active.job.set([TASK.layerNormGrad, dy.byteOffset, x.byteOffset, scale.byteOffset, mean.byteOffset, rstd.byteOffset, dx.byteOffset, mean.length, d,
    simd ? dscale.byteOffset : -1, simd ? dbias.byteOffset : -1, simd ? scratch.byteOffset : -1]);
  runJob(active);
  if (!simd) addPartialSums(active.scratch, active.parts, d, dscale, dbias);
  return true;
}

/** dscale and dbias from the slices' partial sums in `scratch`, added in slice order. */
export function addPartialSums(scratch: Float64Array, parts: number, d: number, dscale: Float32Array, dbias: Float32Array): void {
  for (let j = 0; j < d; j++) {
    let scaleSum = 0;
    let biasSum = 0;
    for (let part = 0; part < parts; part++) {
      scaleSum += scratch[2 * d * part + j]!;
      biasSum += scratch[2 * d * part + d + j]!;
    }
    dscale[j] = scaleSum;
    dbias[j] = biasSum;
  }
}

/**
 * A Sum or Mean as [outer, reduced, inner] (wasm/reduce.ts) over the pool's threads, sliced by
 * outputs: each output is summed by one thread in the same order, so any count gives the same
 * bits. `from` and `to` are float offsets into `heap`; false where it does not apply.
 */
export function splitReduce(heap: Float32Array, from: number, to: number, outer: number, reduced: number, inner: number, divisor: number, scratch: number): boolean {
  const active = poolFor([heap], outer * reduced * inner);
  if (active === undefined || (outer < 2 && inner < 32)) return false;
  active.job.set([TASK.reduce, heap.byteOffset + 4 * from, heap.byteOffset + 4 * to, outer, reduced, inner, divisor, scratch]);
  runJob(active);
  return true;
}

/**
 * GELU (inputs [x]) or its gradient (inputs [dy, x]) into `out` with the SIMD kernels of
 * ../simd over the pool's threads, in slices of whole groups of four; false where it does not apply.
 */
export function splitGelu(inputs: readonly Float32Array[], out: Float32Array): boolean {
  const active = poolFor([...inputs, out], out.length);
  if (active === undefined) return false;
  const task = inputs.length === 1 ? TASK.gelu : TASK.geluGrad;
  active.job.set([task, out.length, out.byteOffset, ...inputs.map((input) => input.byteOffset)]);
  runJob(active);
  return true;
}

/**
 * A batch of SIMD products (see ../wasm/simd-product-slices.ts) over the pool's threads, by
 * whole tiles of rows or columns of each product; false where it does not apply.
 */
export function splitProducts(heap: Float32Array, p: ProductBatch): boolean {
  // Multiply-adds over 16: one job's hand-over costs about as much as 2^20 of them.
  const active = poolFor([heap], (p.batch * p.m * p.k * p.n) / 16);
  if (active === undefined || productUnits(p.batch, p.m, p.n, p.transposeA) < 2) return false;
  active.job.set([TASK.gemm, p.aAt, p.bAt, p.cAt, p.m, p.k, p.n, p.batch, p.aStride, p.bStride, p.transposeA ? 1 : 0]);
  runJob(active);
  return true;
}

/** A modReLU task over the pool's threads by rows of the spectrum; false where it does not apply. */
function splitSpectrumRows(task: number, arrays: readonly Float32Array[], rows: number, layout: ModReluLayout): boolean {
  const active = poolFor(arrays, rows * layout.width);
  if (active === undefined || rows < 2) return false;
  active.job.set([task, ...arrays.map((a) => a.byteOffset), rows, ...modReluJobTail(layout)]);
  runJob(active);
  return true;
}

/** FFTNet's filtered modReLU over the pool's threads (arrays: re, im, scale, bias, yRe, yIm). */
export function splitModRelu(arrays: readonly Float32Array[], rows: number, layout: ModReluLayout): boolean {
  return splitSpectrumRows(TASK.modRelu, arrays, rows, layout);
}

/**
 * Its gradient over the pool's threads (arrays: dRe, dIm, re, im, scale, bias, dre, dim, and the
 * per-row sums: 2 rows floats).
 */
export function splitModReluGrad(arrays: readonly Float32Array[], rows: number, layout: ModReluLayout): boolean {
  return splitSpectrumRows(TASK.modReluGrad, arrays, rows, layout);
}

/**
 * An element-wise operation (../simd/binary.wat, byte offsets x full, y broadcast) over the pool's
 * threads, by rows or columns; false where it does not apply.
 */
export function splitBinary(heap: Float32Array, layout: BinaryLayout, xAt: number, yAt: number, outAt: number): boolean {
  const active = poolFor([heap], layout.rows * layout.width);
  if (active === undefined) return false;
  active.job.set([TASK.binary, layout.op, xAt, yAt, outAt, layout.rows, layout.width, layout.q, layout.strideP, layout.strideQ, layout.splat ? 1 : 0]);
  runJob(active);
  return true;
}

/** Rows ids[j] of x into out[j] (rows of `width` 4-byte values, byte offsets) over the pool's threads, by indices; false where it does not apply. */
export function splitGatherRows(heap: Float32Array | Int32Array, xAt: number, idsAt: number, outAt: number, width: number, count: number): boolean {
  const active = poolFor([heap], width * count);
  if (active === undefined || count < 2) return false;
  active.job.set([TASK.gatherRows, xAt, idsAt, outAt, width, count]);
  runJob(active);
  return true;
}

/** The rows of x [count, width] summed into out [segments, width] by ids, over the pool's threads by columns; false where it does not apply. */
export function splitSegmentSum(heap: Float32Array, xAt: number, idsAt: number, outAt: number, count: number, width: number, segments: number): boolean {
  const active = poolFor([heap], width * count);
  if (active === undefined || width < 8) return false;
  active.job.set([TASK.segmentSum, xAt, idsAt, outAt, count, width, segments]);
  runJob(active);
  return true;
}

/**
 * One AdamW update (arrays: param, grad, m, v, and the three outputs) over the pool's threads,
 * element by element; false where it does not apply.
 */
export function splitAdamW(arrays: readonly Float32Array[], scale: number, attrs: AdamWAttrs): boolean {
  // A few float64 divisions and a square root per element: worth a hand-over from 2^14 up.
  const active = poolFor(arrays, 4 * arrays[0]!.length);
  if (active === undefined) return false;
  active.job.set([TASK.adamW, ...arrays.map((a) => a.byteOffset), arrays[0]!.length, scale, ...encodeJob(attrs, ADAMW_ATTR_ORDER)]);
  runJob(active);
  return true;
}

/**
 * The fused attention's forward pass (fused/attention-rows.ts) over the pool's threads, by blocks
 * of query rows; false where it does not apply. `heap`: a view of the heap, to find the pool.
 * The job's scratch holds one work area per thread (heapThreads()).
 */
export function splitAttention(heap: Float32Array, job: AttentionForwardJob): boolean {
  const active = poolFor([heap], job.headsTotal * job.n * job.n);
  if (active === undefined || forwardUnits(job) < 2) return false;
  active.job.set([TASK.attention, ...encodeJob(job, FORWARD_FIELDS)]);
  runJob(active);
  return true;
}

/** The fused attention's backward pass over the pool's threads, by heads; false where it does not apply. */
export function splitAttentionGrad(heap: Float32Array, job: AttentionBackwardJob): boolean {
  const active = poolFor([heap], job.headsTotal * job.n * job.n);
  if (active === undefined || job.headsTotal < 2) return false;
  active.job.set([TASK.attentionGrad, ...encodeJob(job, BACKWARD_FIELDS)]);
  runJob(active);
  return true;
}
