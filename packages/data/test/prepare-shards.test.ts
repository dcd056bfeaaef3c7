import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordBatchFileWriter, tableFromIPC, Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededBatcher, evalBatches } from '../src/batching.js';
import { readSplitArrow, splitToTable } from '../src/cache/arrow.js';
import { loadCachedSplits } from '../src/cache/load.js';
import { CacheError } from '../src/errors.js';
import { ensureTaskData, prepareTask } from '../src/prepare.js';
import { readListOpsSplit } from '../src/tasks/listops/reader.js';
import { pathx } from '../src/tasks/pathx.js';
import { flat, syntheticSplit } from './synthetic-split.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lra-prepare-shards-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const small = { seed: 5, counts: { train: 120, val: 10, test: 10 }, minLength: 10, maxLength: 50 };

async function contentSums(cacheDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(cacheDir)).sort()) {
    if (name !== 'verified.json') out[name] = createHash('sha256').update(await readFile(join(cacheDir, name))).digest('hex');
  }
  return out;
}

function logLines(): { lines: string[]; log: (msg: string) => void } {
  const lines: string[] = [];
  return { lines, log: (msg) => lines.push(msg) };
}

describe('preparing a split larger than a shard', () => {
  it('writes shard files that load as the reader reads the source, byte-identical when prepared again', async () => {
    const dataDir = join(dir, 'listops');
    // About 3,500 training ids of one byte: shards of 400 ids make 6 or more files.
    const first = await prepareTask({ task: 'listops', dataDir, generate: small, shardBytes: 400 });
    const train = first.manifest.splits.train!;
    expect(train.files.length).toBeGreaterThan(5);
    expect(train.files.map((f) => f.file)).toEqual(train.files.map((_, k) => `train-${String(k).padStart(5, '0')}-of-${String(train.files.length).padStart(5, '0')}.arrow`));
    expect(train.files.every((f) => f.tokens <= 400)).toBe(true);
    expect(train.files.reduce((n, f) => n + f.rows, 0)).toBe(120);
    expect(first.manifest.splits.val!.files.map((f) => f.file)).toEqual(['val.arrow']);
    expect(first.manifest.tokenStorage).toEqual({ type: 'uint8', idShift: 1, shardBytes: 400 });

    const rawDir = join(dataDir, 'raw', 'listops', first.variant);
    const { splits } = await ensureTaskData({ task: 'listops', dataDir, generate: small, shardBytes: 400 });
    for (const split of ['train', 'val', 'test'] as const) {
      const fromSource = await readListOpsSplit(rawDir, split);
      expect(flat(splits[split])).toEqual(flat(fromSource));
      expect(splits[split].labels).toEqual(fromSource.labels);
      expect(splits[split].count).toBe(fromSource.count);
    }
    const batcher = new SeededBatcher(splits.train, { batchSize: 16, seqLen: 2000, seed: 4 });
    const inMemory = new SeededBatcher(await readListOpsSplit(rawDir, 'train'), { batchSize: 16, seqLen: 2000, seed: 4 });
    for (const step of [0, 6, 7, 13]) expect(batcher.batchAt(step)).toEqual(inMemory.batchAt(step));

    const sums = await contentSums(first.dir);
    await prepareTask({ task: 'listops', dataDir, generate: small, shardBytes: 400 });
    expect(await contentSums(first.dir)).toEqual(sums);

    // Prepared again with the default shard size: one file per split, the old shards removed.
    await prepareTask({ task: 'listops', dataDir, generate: small });
    expect((await readdir(first.dir)).sort()).toEqual(['manifest.json', 'sources.sha256', 'test.arrow', 'train.arrow', 'val.arrow', 'verified.json']);
  });

  it('prepares and batches generated Path-X: fixed-length rows of one byte, several shards', async () => {
    const dataDir = join(dir, 'pathx');
    const generate = { seed: 3, count: 10, imagesPerBatch: 10 };
    const prepared = await prepareTask({ task: 'pathx', dataDir, generate, shardBytes: 3 * 16_384 });
    const train = prepared.manifest.splits.train!;
    expect(train.rows).toBe(8);
    expect(train.files.map((f) => f.rows)).toEqual([3, 3, 2]);
    expect(train.tokens).toBe(8 * 16_384);
    // One byte per pixel and no offsets: each file is its pixels plus a little Arrow framing.
    for (const f of train.files) expect(f.bytes - f.rows * 16_384).toBeLessThan(2000);
    const table = tableFromIPC(await readFile(join(prepared.dir, train.files[0]!.file)));
    expect(String(table.schema.fields[0]!.type)).toBe('FixedSizeList[16384]<Uint8>');

    const { splits } = await ensureTaskData({ task: 'pathx', dataDir, generate, shardBytes: 3 * 16_384 });
    const fromSource = await pathx.read(join(dataDir, 'raw', 'pathx', prepared.variant), 'train');
    expect(flat(splits.train)).toEqual(flat(fromSource));
    const cached = new SeededBatcher(splits.train, { batchSize: 4, seqLen: 16_384, seed: 9 });
    const direct = new SeededBatcher(fromSource, { batchSize: 4, seqLen: 16_384, seed: 9 });
    for (const step of [0, 1, 2, 5]) {
      const batch = cached.batchAt(step);
      expect(batch).toEqual(direct.batchAt(step));
      expect(batch.tokens.every((id) => id >= 1 && id <= 256)).toBe(true);
      expect(Array.from(batch.lengths)).toEqual([16_384, 16_384, 16_384, 16_384]);
    }
    const [val] = [...evalBatches(splits.val, { batchSize: 8, seqLen: 16_384 })];
    expect(val!.size).toBe(1);
  });
});

describe('loading a prepared cache', () => {
  it('trusts files whose size and mtime match their stamp, hashes the others, and hashes all when asked', async () => {
    const dataDir = join(dir, 'stamps');
    const prepared = await prepareTask({ task: 'listops', dataDir, generate: small });
    const { manifest } = prepared;
    const splits = ['train', 'val', 'test'] as const;
    expect((await loadCachedSplits(prepared.dir, manifest, splits)).hashed).toEqual([]);
    expect((await loadCachedSplits(prepared.dir, manifest, splits, { verify: true })).hashed).toEqual(['train.arrow', 'val.arrow', 'test.arrow']);

    // A file touched since: hashed once, stamped again, then trusted.
    const val = join(prepared.dir, 'val.arrow');
    const later = new Date(Date.now() + 5000);
    await utimes(val, later, later);
    expect((await loadCachedSplits(prepared.dir, manifest, splits)).hashed).toEqual(['val.arrow']);
    expect((await loadCachedSplits(prepared.dir, manifest, splits)).hashed).toEqual([]);

    // A byte changed behind the stamp's back (mtime put back): only verification sees it.
    const before = await stat(val);
    const bytes = await readFile(val);
    bytes[bytes.length >> 1] ^= 0x01;
    await writeFile(val, bytes);
    await utimes(val, before.atime, before.mtime);
    await expect(loadCachedSplits(prepared.dir, manifest, splits, { verify: true })).rejects.toThrow(/val\.arrow: checksum mismatch/);
    const log = logLines();
    await ensureTaskData({ task: 'listops', dataDir, generate: small, verify: true, log: log.log });
    expect(log.lines[0]).toMatch(/again: it failed verification: .*val\.arrow: checksum mismatch/);

    // A file of another size is refused before it is read, whatever its stamp says.
    const good = await stat(val);
    await writeFile(val, Buffer.concat([await readFile(val), Buffer.from([0])]));
    await utimes(val, good.atime, good.mtime);
    await expect(loadCachedSplits(prepared.dir, manifest, splits)).rejects.toThrow(
      new CacheError(val, `holds ${good.size + 1} bytes, the manifest says ${good.size}`),
    );
  });

  it('says a cache of an older format must be prepared again, and prepares it again when it can', async () => {
    const dataDir = join(dir, 'old');
    const prepared = await prepareTask({ task: 'listops', dataDir, generate: small, variant: 'official' });
    const manifestPath = join(prepared.dir, 'manifest.json');
    await writeFile(manifestPath, JSON.stringify({ ...prepared.manifest, formatVersion: 2 }));
    const err = await ensureTaskData({ task: 'listops', dataDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CacheError);
    expect((err as Error).message).toContain(
      'the official cache cannot be used: it was prepared by an older version (cache format 2, this version reads 3): run lra data prepare again',
    );

    const generated = await prepareTask({ task: 'listops', dataDir, generate: small });
    await writeFile(join(generated.dir, 'manifest.json'), JSON.stringify({ ...generated.manifest, formatVersion: 2 }));
    const log = logLines();
    await ensureTaskData({ task: 'listops', dataDir, generate: small, log: log.log });
    expect(log.lines[0]).toBe(
      `preparing the cache in ${generated.dir} again: it was prepared by an older version (cache format 2, this version reads 3): run lra data prepare again`,
    );
    expect(JSON.parse(await readFile(join(generated.dir, 'manifest.json'), 'utf8')).formatVersion).toBe(3);
  });

  it('refuses a split file of the older format with the same advice', async () => {
    const table = splitToTable(syntheticSplit(5));
    const old = new Table(table.batches.map((b) => b));
    old.schema.metadata.set('lra.format', 'lra-split-v1');
    const path = join(dir, 'old.arrow');
    await writeFile(path, RecordBatchFileWriter.writeAll(old).toUint8Array(true));
    await expect(readSplitArrow(path)).rejects.toThrow(
      new CacheError(path, 'a split file of format lra-split-v1, this version reads lra-split-v2: prepared by an older version: run lra data prepare again'),
    );
  });
});
