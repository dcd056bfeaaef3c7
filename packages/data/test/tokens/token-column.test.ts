import { describe, expect, it } from 'vitest';
import { TokenColumn } from '../../src/tokens/token-column.js';

/** Rows of a column with varied lengths, and the same rows spread over chunks of three kinds. */
function rowsAndChunkedColumn(): { rows: number[][]; column: TokenColumn } {
  const rows = [[5, 6, 7], [], [9], [1, 2], [3, 4], [255, 256], [8, 8, 8, 8]];
  // chunk 1: rows 0..2 as a flat Int32 list with its offsets not starting at 0
  const a = { rows: 3, offsets: Int32Array.from([2, 5, 5, 6]), width: 0, values: Int32Array.from([0, 0, 5, 6, 7, 9]), shift: 0 };
  // chunk 2: rows 3..5, fixed width 2, stored as id - 1 in Uint8
  const b = { rows: 3, offsets: null, width: 2, values: Uint8Array.from([0, 1, 2, 3, 254, 255]), shift: 1 };
  // an empty chunk between them must not hide the next one
  const empty = { rows: 0, offsets: Int32Array.from([0]), width: 0, values: new Uint16Array(0), shift: 1 };
  // chunk 3: row 6 in Uint16 with shift 1
  const c = { rows: 1, offsets: Int32Array.from([0, 4]), width: 0, values: Uint16Array.from([7, 7, 7, 7]), shift: 1 };
  return { rows, column: new TokenColumn([a, b, empty, c]) };
}

describe('TokenColumn', () => {
  it('reads every row of several chunks (lists, fixed width, narrow types, id shifts) as the ids it holds', () => {
    const { rows, column } = rowsAndChunkedColumn();
    expect(column.count).toBe(rows.length);
    expect(column.totalTokens).toBe(rows.flat().length);
    // Visit rows out of order, so the chunk lookup is exercised in both directions.
    for (const i of [6, 0, 5, 1, 4, 2, 3, 6, 0]) {
      expect(column.length(i)).toBe(rows[i]!.length);
      expect(Array.from(column.row(i))).toEqual(rows[i]);
    }
    const flat = column.toFlat();
    expect(Array.from(flat.tokens)).toEqual(rows.flat());
    expect(Array.from(flat.offsets)).toEqual([0, 3, 3, 4, 6, 8, 10, 14]);
    expect(column.largestId()).toBe(256);
  });

  it('copies a row truncated to a maximum into place, and says how many ids it copied', () => {
    const { column } = rowsAndChunkedColumn();
    const out = new Int32Array(8).fill(-1);
    expect(column.copyRow(6, out, 2, 3)).toBe(3);
    expect(column.copyRow(5, out, 0, 10)).toBe(2);
    expect(Array.from(out)).toEqual([255, 256, 8, 8, 8, -1, -1, -1]);
  });

  it('refuses rows outside the column and chunks whose rows overrun their values', () => {
    const { column } = rowsAndChunkedColumn();
    expect(() => column.length(7)).toThrow('row 7 outside 0..6');
    expect(() => column.row(-1)).toThrow(RangeError);
    expect(() => TokenColumn.flat(Int32Array.from([0, 4]), new Int32Array(3))).toThrow('rows reach index 4 of 3 values');
    expect(TokenColumn.fixed(3, new Uint8Array(9)).count).toBe(3);
  });
});
