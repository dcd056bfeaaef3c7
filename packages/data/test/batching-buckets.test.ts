import { describe, expect, it } from 'vitest';
import { SeededBatcher, evalBatches, rowLengths } from '../src/batching.js';
import { flat, syntheticSplit } from './synthetic-split.js';

const data = syntheticSplit(203, false, 9);
const pairs = syntheticSplit(50, true, 4);
const flatData = flat(data);
const flatPairs = flat(pairs);

function lengthOf(i: number, seqLen: number): number {
  return Math.min(flatData.offsets[i + 1]! - flatData.offsets[i]!, seqLen);
}

describe('length bucketing', () => {
  const opts = { batchSize: 8, seqLen: 30, seed: 'b', bucketWindow: 5 };

  it('visits every example once per epoch, in batches of similar length, in a seeded order', () => {
    const batcher = new SeededBatcher(data, opts);
    expect(batcher.batchesPerEpoch).toBe(25);
    const plain = new SeededBatcher(data, { ...opts, bucketWindow: 0 });
    for (const epoch of [0, 1]) {
      const order = batcher.epochOrder(epoch);
      const kept = Array.from(order.subarray(0, 200));
      // A permutation of the shuffled order's examples.
      expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 203 }, (_, i) => i));
      // Each window of 5 batches of the plain shuffle is sorted by length, and batches are cut from it.
      const shuffled = plain.epochOrder(epoch);
      const windows = new Map<number, number>();
      for (let w = 0; w < 6; w++) for (const id of shuffled.subarray(w * 40, (w + 1) * 40)) windows.set(id, w);
      let spreadBucketed = 0;
      let spreadPlain = 0;
      for (let b = 0; b < 25; b++) {
        const ids = kept.slice(b * 8, (b + 1) * 8);
        const lens = ids.map((i) => lengthOf(i, 30));
        expect(lens).toEqual([...lens].sort((x, y) => x - y));
        expect(new Set(ids.map((i) => windows.get(i))).size).toBe(1);
        spreadBucketed += Math.max(...lens) - Math.min(...lens);
        const plainLens = Array.from(shuffled.subarray(b * 8, (b + 1) * 8), (i) => lengthOf(i, 30));
        spreadPlain += Math.max(...plainLens) - Math.min(...plainLens);
      }
      expect(spreadBucketed * 3).toBeLessThan(spreadPlain);
    }
    // Batch order is shuffled: the first batches are not the shortest ones of window 0.
    const firstLens = Array.from({ length: 25 }, (_, b) => lengthOf(batcher.epochOrder(0)[b * 8]!, 30));
    expect(firstLens).not.toEqual([...firstLens].sort((x, y) => x - y));
    expect(new SeededBatcher(data, opts).epochOrder(0)).toEqual(batcher.epochOrder(0));
    expect(new SeededBatcher(data, { ...opts, seed: 'c' }).epochOrder(0)).not.toEqual(batcher.epochOrder(0));
  });

  it('pads a batch to its longest row with padToLongest', () => {
    const batcher = new SeededBatcher(data, { ...opts, padToLongest: true });
    for (const step of [0, 7, 30]) {
      const batch = batcher.batchAt(step);
      expect(batch.seqLen).toBe(Math.max(1, ...batch.lengths));
      expect(batch.tokens).toHaveLength(batch.size * batch.seqLen);
      for (let r = 0; r < batch.size; r++) {
        const i = batch.indices[r]!;
        const row = Array.from(flatData.tokens.subarray(flatData.offsets[i], flatData.offsets[i]! + batch.lengths[r]!));
        expect(Array.from(batch.tokens.subarray(r * batch.seqLen, r * batch.seqLen + row.length))).toEqual(row);
        expect(batch.tokens.subarray(r * batch.seqLen + row.length, (r + 1) * batch.seqLen).every((t) => t === 0)).toBe(true);
      }
    }
  });

  it('measures pair rows by their longer document', () => {
    const lengths = rowLengths(pairs, 20);
    for (let i = 0; i < pairs.count; i++) {
      const a = flatPairs.offsets[i + 1]! - flatPairs.offsets[i]!;
      const b = flatPairs.offsets2![i + 1]! - flatPairs.offsets2![i]!;
      expect(lengths[i]).toBe(Math.min(20, Math.max(a, b)));
    }
  });

  it('rejects a window that is not a whole number of batches', () => {
    expect(() => new SeededBatcher(data, { ...opts, bucketWindow: 1.5 })).toThrow(/bucketWindow/);
  });
});

describe('pair batches', () => {
  it('carry both documents padded alike, and drop the remainder in evaluation when asked (as LRA does)', () => {
    const all = [...evalBatches(pairs, { batchSize: 16, seqLen: 12 })];
    const dropped = [...evalBatches(pairs, { batchSize: 16, seqLen: 12, dropRemainder: true })];
    expect(all.map((b) => b.size)).toEqual([16, 16, 16, 2]);
    expect(dropped.map((b) => b.size)).toEqual([16, 16, 16]);
    for (const batch of dropped) {
      expect(batch.tokens2).toHaveLength(16 * 12);
      for (let r = 0; r < 16; r++) {
        const i = batch.indices[r]!;
        const n = Math.min(12, flatPairs.offsets2![i + 1]! - flatPairs.offsets2![i]!);
        expect(batch.lengths2![r]).toBe(n);
        expect(Array.from(batch.tokens2!.subarray(r * 12, r * 12 + n))).toEqual(Array.from(flatPairs.tokens2!.subarray(flatPairs.offsets2![i], flatPairs.offsets2![i]! + n)));
      }
    }
    const trained = new SeededBatcher(pairs, { batchSize: 16, seqLen: 12, seed: 3 });
    expect(trained.batchesPerEpoch).toBe(3);
    expect(trained.batchAt(2).tokens2).toHaveLength(16 * 12);
  });
});
