import type { TensorInfo } from '@tensorflow/tfjs';
import { splitGatherRows } from '../parallel/heap-pool.js';
import { rowsSimdFor, type RowsSimd } from '../simd/simd-kernels.js';
import { allocateFloats, byteOffsetOf, heapInt32, heapMemory, release } from './heap.js';
import type { WasmBackend } from './heap.js';

/** The SIMD row module over the backend's heap, or null where it cannot run. */
export function rowsSimdOf(backend: WasmBackend): RowsSimd | null {
  const memory = heapMemory(backend);
  return memory === undefined ? null : rowsSimdFor(memory);
}

/** Whether gatherRowsOnHeap runs for tensors of `dtype` on this backend. */
export function rowGathersRun(backend: WasmBackend, dtype: string): boolean {
  return (dtype === 'float32' || dtype === 'int32') && rowsSimdOf(backend) !== null;
}

/**
 * Rows ids[j] (4-byte indices at byte offset idsAt) of x into row j of out, rows of `width` 4-byte
 * elements, byte offsets: split over the heap's threads by indices where it pays, else here.
 */
export function copyRowsByIndex(backend: WasmBackend, simd: RowsSimd, xAt: number, idsAt: number, outAt: number, width: number, count: number): void {
  if (!splitGatherRows(heapInt32(backend), xAt, idsAt, outAt, width, count)) simd.gatherRows(xAt, idsAt, outAt, width, 0, count);
}

/**
 * Writes `out` as `rows` rows of `rowLength` 4-byte elements, row r a copy of row sources[r] of
 * `x`, where `listSources` fills `sources` (indices in rows of x). The copies run in SIMD
 * (../simd/rows.wat), split over the heap's threads by rows. False (nothing done) where the SIMD
 * module cannot run, or the elements are not 4 bytes.
 */
export function gatherRowsOnHeap(
  backend: WasmBackend, x: TensorInfo, out: TensorInfo, rowLength: number, rows: number,
  listSources: (sources: Int32Array) => void,
): boolean {
  if (!rowGathersRun(backend, x.dtype)) return false;
  const simd = rowsSimdOf(backend)!;
  const sourcesAt = allocateFloats(backend, rows);
  try {
    listSources(heapInt32(backend).subarray(sourcesAt / 4, sourcesAt / 4 + rows));
    copyRowsByIndex(backend, simd, byteOffsetOf(backend, x), sourcesAt, byteOffsetOf(backend, out), rowLength, rows);
  } finally {
    release(backend, sourcesAt);
  }
  return true;
}
