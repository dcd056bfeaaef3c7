import { describe, expect, it } from 'vitest';
import { SeededBatcher, evalBatches, type BatchWithLengths } from '../src/batching.js';
import type { SplitData } from '../src/types.js';
import { flat, syntheticSplit } from './synthetic-split.js';

/** The example's tokens truncated to seqLen and padded with 0, computed directly. */
function paddedRow(data: SplitData, i: number, seqLen: number, second = false): number[] {
  const f = flat(data);
  const offsets = second ? f.offsets2! : f.offsets;
  const tokens = second ? f.tokens2! : f.tokens;
  const row = Array.from(tokens.subarray(offsets[i], offsets[i + 1])).slice(0, seqLen);
  return [...row, ...new Array<number>(seqLen - row.length).fill(0)];
}

function expectBatchMatchesData(batch: BatchWithLengths, data: SplitData): void {
  const { size, seqLen } = batch;
  expect(batch.tokens).toHaveLength(size * seqLen);
  expect(batch.labels).toHaveLength(size);
  for (let r = 0; r < size; r++) {
    const i = batch.indices[r]!;
    expect(Array.from(batch.tokens.subarray(r * seqLen, (r + 1) * seqLen))).toEqual(paddedRow(data, i, seqLen));
    expect(batch.lengths[r]).toBe(Math.min(data.documents.length(i), seqLen));
    expect(batch.labels[r]).toBe(data.labels[i]);
    if (data.documents2 !== undefined) {
      expect(Array.from(batch.tokens2!.subarray(r * seqLen, (r + 1) * seqLen))).toEqual(paddedRow(data, i, seqLen, true));
    }
  }
}

const data = syntheticSplit(103, false, 11); // lengths 0..39, so seqLen 24 truncates some rows and pads others

describe('SeededBatcher', () => {
  it('gives the same batches for the same seed and different ones for another seed', () => {
    const a = new SeededBatcher(data, { batchSize: 8, seqLen: 24, seed: 5 });
    const b = new SeededBatcher(data, { batchSize: 8, seqLen: 24, seed: 5 });
    const c = new SeededBatcher(data, { batchSize: 8, seqLen: 24, seed: 6 });
    for (let step = 0; step < 30; step++) expect(b.batchAt(step)).toEqual(a.batchAt(step));
    const differs = Array.from({ length: 12 }, (_, step) => a.batchAt(step).indices.join() !== c.batchAt(step).indices.join());
    expect(differs.filter(Boolean).length).toBeGreaterThan(10);
  });

  it('addresses batches by global step: random access equals sequential iteration across epochs', () => {
    const sequential = new SeededBatcher(data, { batchSize: 10, seqLen: 24, seed: 'run-1' });
    expect(sequential.batchesPerEpoch).toBe(10);
    const steps = 4 * sequential.batchesPerEpoch + 3;
    const ordered = Array.from({ length: steps }, (_, k) => sequential.batchAt(k));
    // A resumed run: a fresh batcher asked for the steps in a scrambled order.
    const resumed = new SeededBatcher(data, { batchSize: 10, seqLen: 24, seed: 'run-1' });
    const scrambled = Array.from({ length: steps }, (_, k) => (k * 17) % steps);
    for (const k of scrambled) expect(resumed.batchAt(k)).toEqual(ordered[k]);
  });

  it('visits every example exactly once per epoch, in a new order each epoch', () => {
    const keepAll = new SeededBatcher(data, { batchSize: 10, seqLen: 24, seed: 9, dropRemainder: false });
    expect(keepAll.batchesPerEpoch).toBe(11);
    const orders: number[][] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      const seen: number[] = [];
      for (let k = 0; k < keepAll.batchesPerEpoch; k++) {
        const batch = keepAll.batchAt(epoch * keepAll.batchesPerEpoch + k);
        expect(batch.size).toBe(k === 10 ? 3 : 10);
        seen.push(...batch.indices);
      }
      expect([...seen].sort((x, y) => x - y)).toEqual(Array.from({ length: 103 }, (_, i) => i));
      orders.push(seen);
    }
    expect(orders[1]).not.toEqual(orders[0]);
    expect(orders[2]).not.toEqual(orders[1]);

    const drop = new SeededBatcher(data, { batchSize: 10, seqLen: 24, seed: 9 });
    const epoch = Array.from({ length: drop.batchesPerEpoch }, (_, k) => Array.from(drop.batchAt(k).indices)).flat();
    expect(epoch).toHaveLength(100);
    expect(new Set(epoch).size).toBe(100);
    expect(drop.batchAt(drop.batchesPerEpoch).size).toBe(10); // the next epoch starts full
  });

  it('pads with 0 and truncates to seqLen, with the true lengths and labels', () => {
    const batcher = new SeededBatcher(data, { batchSize: 16, seqLen: 24, seed: 1 });
    for (let step = 0; step < 8; step++) expectBatchMatchesData(batcher.batchAt(step), data);
    const lengths = Array.from(batcher.batchAt(0).lengths);
    expect(lengths.some((n) => n === 24)).toBe(true); // some rows were cut
    expect(lengths.some((n) => n < 24)).toBe(true); // some were padded
  });

  it('keeps file order without shuffling and carries the second document of pair tasks', () => {
    const pair = syntheticSplit(30, true, 4);
    const batcher = new SeededBatcher(pair, { batchSize: 7, seqLen: 16, seed: 3, shuffle: false });
    expect(Array.from(batcher.batchAt(5).indices)).toEqual([7, 8, 9, 10, 11, 12, 13]); // epoch 1, batch 1
    for (let step = 0; step < 4; step++) expectBatchMatchesData(batcher.batchAt(step), pair);
    expect(batcher.batchAt(0).lengths2).toHaveLength(7);
  });

  it('hands out arrays the caller owns', () => {
    const batcher = new SeededBatcher(data, { batchSize: 4, seqLen: 8, seed: 2 });
    const first = batcher.batchAt(0);
    const copy = structuredClone(first);
    first.tokens.fill(-1);
    first.indices.fill(-1);
    expect(batcher.batchAt(0)).toEqual(copy);
  });

  it('rejects a batch larger than the split and bad arguments', () => {
    expect(() => new SeededBatcher(syntheticSplit(5), { batchSize: 8, seqLen: 4, seed: 1 })).toThrow(
      'synthetic val: 5 examples make no batch of 8',
    );
    expect(() => new SeededBatcher(data, { batchSize: 0, seqLen: 4, seed: 1 })).toThrow('batchSize must be a positive integer');
    expect(() => new SeededBatcher(data, { batchSize: 4, seqLen: 4, seed: 1 }).batchAt(-1)).toThrow('step must be');
  });
});

describe('evalBatches', () => {
  it('goes through the split in file order, the last batch partial', () => {
    const batches = [...evalBatches(data, { batchSize: 25, seqLen: 24 })];
    expect(batches.map((b) => b.size)).toEqual([25, 25, 25, 25, 3]);
    expect(batches.flatMap((b) => Array.from(b.indices))).toEqual(Array.from({ length: 103 }, (_, i) => i));
    for (const batch of batches) expectBatchMatchesData(batch, data);
  });
});
