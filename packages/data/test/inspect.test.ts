import { describe, expect, it } from 'vitest';
import { inspectSplit, labelCounts, majorityRate } from '../src/inspect.js';
import { listops } from '../src/tasks/listops.js';
import { TokenColumn } from '../src/tokens/token-column.js';
import type { SplitData } from '../src/types.js';

describe('inspectSplit', () => {
  it('returns exactly the fields of `lra data inspect`', () => {
    const long = Array.from({ length: 40 }, (_, i) => 1 + (i % 16));
    const data: SplitData = {
      task: 'listops',
      split: 'val',
      count: 3,
      seqLen: 2000,
      documents: TokenColumn.flat(Int32Array.from([0, 40, 44, 48]), Int32Array.from([...long, 12, 5, 4, 15, 11, 2, 3, 15])),
      labels: Int32Array.from([7, 4, 1]),
      skipped: 0,
    };
    expect(inspectSplit(listops, data)).toEqual({
      task: 'listops',
      split: 'val',
      count: 3,
      seqLen: 2000,
      vocabSize: 17,
      numClasses: 10,
      labelCounts: [0, 1, 0, 0, 1, 0, 0, 1, 0, 0],
      skipped: 0,
      first: { tokens: long.slice(0, 32), label: 7 },
    });
    const empty = TokenColumn.flat(Int32Array.from([0]), new Int32Array(0));
    expect(inspectSplit(listops, { ...data, count: 0, documents: empty, labels: new Int32Array(0) }).first).toBe(null);
  });
});

describe('majorityRate and labelCounts', () => {
  it('is the share of the most frequent label', () => {
    expect(majorityRate(Int32Array.from([3, 1, 3, 2, 3, 1]))).toBe(0.5);
    expect(majorityRate(Int32Array.from([9]))).toBe(1);
    expect(majorityRate(new Int32Array(0))).toBe(0);
    expect(labelCounts(Int32Array.from([2, 2, 0]), 3)).toEqual([1, 0, 2]);
    expect(() => labelCounts(Int32Array.from([3]), 3)).toThrow('label 3 outside 0..2');
  });
});
