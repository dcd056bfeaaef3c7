// The SIMD row module (src/backend/simd/rows.wat) on its own memory: gathers copy bits, segment
// sums are float32 sums in row order (as the JavaScript loop), ids out of range are dropped, and
// a job sliced over threads (by indices, or by columns) gives the bits of one call.
import { describe, expect, it } from 'vitest';
import { TASK, runPart } from '../../../src/backend/parallel/tasks.js';
import { rowsSimdFor, simdFailure } from '../../../src/backend/simd/simd-kernels.js';
import { normalArray } from '../numeric.js';
import { heapOf } from './memory.js';

/** A table of `rows` x `width` values, `count` ids into it (some out of range), room for the outputs. */
function setUp(shared: boolean, rows: number, width: number, count: number) {
  const { memory, arrays: [table, idsAsFloats, gathered, x, sums] } = heapOf(shared, [rows * width, count, count * width, count * width, rows * width]);
  table!.set(normalArray('table', rows * width));
  x!.set(normalArray('x', count * width));
  const ids = new Int32Array(memory.buffer, idsAsFloats!.byteOffset, count);
  for (let j = 0; j < count; j++) ids[j] = (j * 7 + (j >> 2)) % rows;
  return { memory, table: table!, ids, gathered: gathered!, x: x!, sums: sums! };
}

/** The segment sums as the JavaScript loop takes them: float32 after each addition, rows in order. */
function referenceSums(x: Float32Array, ids: Int32Array, width: number, segments: number): Float32Array {
  const out = new Float32Array(segments * width);
  ids.forEach((s, i) => {
    if (s < 0 || s >= segments) return;
    for (let c = 0; c < width; c++) out[s * width + c] = Math.fround(out[s * width + c]! + x[i * width + c]!);
  });
  return out;
}

describe('the SIMD row module', () => {
  for (const shared of [true, false]) {
    it(`gathers whole rows by index and sums rows into segments, widths with tails (${shared ? 'shared' : 'plain'} memory)`, () => {
      for (const width of [1, 7, 64]) {
        const [rows, count] = [11, 50];
        const { memory, table, ids, gathered, x, sums } = setUp(shared, rows, width, count);
        const simd = rowsSimdFor(memory);
        expect(simd, simdFailure()).not.toBeNull();
        simd!.gatherRows(table.byteOffset, ids.byteOffset, gathered.byteOffset, width, 0, count);
        for (let j = 0; j < count; j++) {
          expect(gathered.subarray(j * width, (j + 1) * width), `row ${j}, width ${width}`).toEqual(table.subarray(ids[j]! * width, (ids[j]! + 1) * width));
        }
        ids[3] = -1;
        ids[4] = rows;
        sums.fill(Number.NaN);
        simd!.segmentSum(x.byteOffset, ids.byteOffset, sums.byteOffset, count, width, rows, 0, width);
        expect(sums, `width ${width}`).toEqual(referenceSums(x, ids, width, rows));
      }
    });
  }

  it('gives the bits of one call when a job is sliced over threads', () => {
    const [rows, width, count] = [13, 40, 301];
    const { memory, table, ids, gathered, x, sums } = setUp(true, rows, width, count);
    const wantSums = referenceSums(x, ids, width, rows);
    const wantRows = Float32Array.from(Array.from(ids).flatMap((id) => Array.from(table.subarray(id * width, (id + 1) * width))));
    for (const parts of [2, 3, 7]) {
      gathered.fill(Number.NaN);
      sums.fill(Number.NaN);
      const gather = Float64Array.from([TASK.gatherRows, table.byteOffset, ids.byteOffset, gathered.byteOffset, width, count]);
      const sum = Float64Array.from([TASK.segmentSum, x.byteOffset, ids.byteOffset, sums.byteOffset, count, width, rows]);
      for (let part = 0; part < parts; part++) {
        runPart(memory.buffer, gather, part, parts, undefined, memory);
        runPart(memory.buffer, sum, part, parts, undefined, memory);
      }
      expect(gathered, `${parts} slices`).toEqual(wantRows);
      expect(sums, `${parts} slices`).toEqual(wantSums);
    }
  });
});
