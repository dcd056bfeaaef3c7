import type { TensorInfo } from '@tensorflow/tfjs';
import { splitGatherRows } from '../parallel/heap-pool.js';
import { rowsSimdFor } from '../simd/simd-kernels.js';
import { allocateFloats, byteOffsetOf, heapInt32, heapMemory, release } from './heap.js';
import type { WasmBackend } from './heap.js';

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
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return false;
  const memory = heapMemory(backend);
  const simd = memory === undefined ? null : rowsSimdFor(memory);
  if (simd === null) return false;
  const sourcesAt = allocateFloats(backend, rows);
  try {
    listSources(heapInt32(backend).subarray(sourcesAt / 4, sourcesAt / 4 + rows));
    const [from, to] = [byteOffsetOf(backend, x), byteOffsetOf(backend, out)];
    if (!splitGatherRows(heapInt32(backend), from, sourcesAt, to, rowLength, rows)) simd.gatherRows(from, sourcesAt, to, rowLength, 0, rows);
  } finally {
    release(backend, sourcesAt);
  }
  return true;
}
