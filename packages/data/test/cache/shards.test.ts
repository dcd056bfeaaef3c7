import { readdir, readFile, rm, stat, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededBatcher, evalBatches } from '../../src/batching.js';
import { loadCachedSplits } from '../../src/cache/load.js';
import type { TaskManifest } from '../../src/cache/manifest.js';
import { ShardedSplitWriter, shardFileName } from '../../src/cache/shard-writer.js';
import type { SplitData } from '../../src/types.js';
import { flat, syntheticSplit } from '../synthetic-split.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lra-shards-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Streams `data` row by row through a ShardedSplitWriter, as preparation does; returns the writer and a manifest of it. */
async function writeSharded(out: string, data: SplitData, shardBytes: number): Promise<{ writer: ShardedSplitWriter; manifest: TaskManifest }> {
  const writer = new ShardedSplitWriter({
    dir: out,
    task: data.task,
    split: data.split,
    seqLen: data.seqLen,
    pair: data.documents2 !== undefined,
    vocabSize: 301,
    vocabVersion: 'v-test',
    shardBytes,
  });
  for (let i = 0; i < data.count; i++) {
    await writer.add(data.documents.row(i), data.labels[i]!, data.documents2?.row(i));
    if (i % 97 === 0) writer.skip();
  }
  const { shards, labels } = await writer.finish();
  expect(labels).toEqual(data.labels);
  await writer.publish();
  const files = writer.fileNames().map((file, k) => ({ file, ...shards[k]! }));
  const manifest = {
    formatVersion: 3,
    // The loader checks ids and labels against these.
    vocabSize: 301,
    numClasses: Math.max(0, ...data.labels) + 1,
    splits: {
      [data.split]: {
        rows: writer.count,
        skipped: writer.skipped,
        tokens: files.reduce((n, f) => n + f.tokens, 0),
        bytes: files.reduce((n, f) => n + f.bytes, 0),
        files,
        labelCounts: [],
      },
    },
  } as unknown as TaskManifest;
  return { writer, manifest };
}

describe('a split written as shard files', () => {
  it('round-trips exactly, one record batch per file, none over the shard size, holding at most one shard in memory', async () => {
    const data = syntheticSplit(3000, true, 7); // about 58k ids per document column, ids 1..300 (two bytes each)
    const out = join(dir, 'pairs');
    const shardBytes = 4000; // 1000 ids per column per shard: pairs of two-byte ids
    const { writer, manifest } = await writeSharded(out, data, shardBytes);
    expect(writer.shardTokens).toBe(1000);
    const names = (await readdir(out)).sort();
    expect(names.length).toBeGreaterThan(50);
    expect(names).toEqual(writer.fileNames());
    expect(names[0]).toBe(shardFileName('val', 0, names.length));
    expect(names[0]).toMatch(/^val-00000-of-000\d\d\.arrow$/);
    for (const name of names) {
      const table = tableFromIPC(await readFile(join(out, name)));
      expect(table.batches).toHaveLength(1);
      const ids = table.getChild('tokens')!.data[0]!.children[0]!.length;
      expect(ids).toBeLessThanOrEqual(1000);
      expect(String(table.schema.fields[0]!.type)).toBe('List<Uint16>');
    }
    // The buffer of ids never grew past one shard.
    expect(writer.peakBufferTokens).toBeLessThanOrEqual(1000);

    const { splits, hashed } = await loadCachedSplits(out, manifest, ['val']);
    const back = splits.val!;
    expect(hashed).toEqual(names); // no stamps yet: every file is checked against its checksum
    expect(back.count).toBe(data.count);
    expect(back.documents.chunks.length).toBe(names.length);
    expect(flat(back)).toEqual(flat(data));
    expect(back.labels).toEqual(data.labels);
    expect(back.skipped).toBe(Math.ceil(3000 / 97));
    // Batches read through the chunked column are the batches of the split in memory.
    const a = new SeededBatcher(data, { batchSize: 32, seqLen: 40, seed: 3 });
    const b = new SeededBatcher(back, { batchSize: 32, seqLen: 40, seed: 3 });
    for (const step of [0, 1, 50, 93, 94, 200]) expect(b.batchAt(step)).toEqual(a.batchAt(step));
    expect([...evalBatches(back, { batchSize: 500, seqLen: 40 })]).toEqual([...evalBatches(data, { batchSize: 500, seqLen: 40 })]);
  });

  it('stores fixed-length rows as FixedSizeList of one byte, in a single file when they fit', async () => {
    const out = join(dir, 'fixed');
    const writer = new ShardedSplitWriter({ dir: out, task: 'image', split: 'train', seqLen: 6, pair: false, vocabSize: 257, vocabVersion: 'v', shardBytes: 1 << 20 });
    const rows = Array.from({ length: 10 }, (_, r) => Int32Array.from({ length: 8 }, (_, i) => 1 + ((r * 31 + i * 17) % 256)));
    for (const [r, row] of rows.entries()) await writer.add(row, r % 2);
    await writer.finish();
    await writer.publish();
    expect(await readdir(out)).toEqual(['train.arrow']);
    const table = tableFromIPC(await readFile(join(out, 'train.arrow')));
    expect(String(table.schema.fields[0]!.type)).toBe('FixedSizeList[6]<Uint8>');
    // Truncated to seqLen 6, stored as id - 1.
    expect(Array.from(table.getChild('tokens')!.get(3)!.toArray() as Uint8Array)).toEqual(Array.from(rows[3]!.subarray(0, 6), (id) => id - 1));
    expect((await stat(join(out, 'train.arrow'))).size).toBeLessThan(1500);
  });

  it('refuses an id the vocabulary does not hold, and removes its files on abort', async () => {
    const out = join(dir, 'bad');
    const writer = new ShardedSplitWriter({ dir: out, task: 't', split: 'test', seqLen: 4, pair: false, vocabSize: 17, vocabVersion: 'v', shardBytes: 4 });
    await writer.add(Int32Array.from([1, 2, 3, 4]), 0);
    await writer.add(Int32Array.from([5]), 0); // flushes the first shard
    await expect(writer.add(Int32Array.from([17]), 0)).rejects.toThrow('token id 17 cannot be stored: ids in a row are 1..16');
    expect((await readdir(out)).some((n) => n.includes('.tmp-'))).toBe(true);
    await writer.abort();
    expect(await readdir(out)).toEqual([]);
  });
});
