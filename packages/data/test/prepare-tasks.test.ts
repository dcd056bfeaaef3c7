import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSplitArrow } from '../src/cache/arrow.js';
import { inspectSplit } from '../src/inspect.js';
import { ensureTaskData, prepareTask } from '../src/prepare.js';
import { getTask } from '../src/tasks/registry.js';
import { flat } from './synthetic-split.js';
import { aanLine, reviewText, writeAan, writeCifar, writeImdb } from './tasks/official-fixtures.js';

let dir: string;
let release: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lra-prepare-tasks-'));
  release = join(dir, 'release');
  const reviews = (n: number, base: number, rating: number) =>
    Array.from({ length: n }, (_, i) => ({ id: base + i, rating, text: reviewText(20 + ((i * 37) % 60), base + i) }));
  await writeImdb(release, {
    train: { pos: reviews(6, 0, 8), neg: reviews(5, 100, 3) },
    test: { pos: reviews(3, 200, 10), neg: reviews(3, 300, 1) },
  });
  const pair = (i: number): string =>
    aanLine({ label: i % 3 === 0 ? '1.0' : '0.0', id1: `P${i}`, id2: `Q${i}`, text1: reviewText(5 + i, i), text2: reviewText(9 + 2 * i, 50 + i) });
  await writeAan(release, {
    train: Array.from({ length: 12 }, (_, i) => pair(i)),
    eval: Array.from({ length: 4 }, (_, i) => pair(20 + i)),
    test: Array.from({ length: 5 }, (_, i) => pair(40 + i)),
  });
  await writeCifar(release, 4, 3);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sha256Of(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

async function cacheBytes(cacheDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  // verified.json records this machine's file times, not the cache's content.
  for (const name of (await readdir(cacheDir)).sort()) if (name !== 'verified.json') out[name] = await sha256Of(join(cacheDir, name));
  return out;
}

describe.each([
  { task: 'text', rows: { train: 11, val: 6, test: 6 }, sourceFiles: 17, labels: { train: [5, 6], val: [3, 3], test: [3, 3] } },
  { task: 'retrieval', rows: { train: 12, val: 4, test: 5 }, sourceFiles: 3, labels: { train: [8, 4], val: [3, 1], test: [4, 1] } },
  { task: 'image', rows: { train: 18, val: 2, test: 3 }, sourceFiles: 6, labels: null },
])('prepare $task from official-format files', ({ task, rows, sourceFiles, labels }) => {
  it('writes the cache and a manifest with counts, labels, vocabulary, seqLen and source checksums', async () => {
    const spec = getTask(task);
    const prepared = await prepareTask({ task, dataDir: join(dir, 'a'), source: release });
    const m = prepared.manifest;
    expect(m).toMatchObject({ task, seqLen: spec.seqLen, vocabSize: spec.vocabSize, numClasses: spec.numClasses, skipBad: false });
    expect(m.sourceChecksums?.files).toBe(sourceFiles);
    const listing = await readFile(join(prepared.dir, 'sources.sha256'), 'utf8');
    expect(listing.trim().split('\n')).toHaveLength(sourceFiles);
    // Every listed checksum is the file's.
    for (const line of listing.trim().split('\n')) {
      const [sum, path] = line.split('  ') as [string, string];
      expect(await sha256Of(join(release, path))).toBe(sum);
    }
    for (const split of spec.splits) {
      const entry = m.splits[split]!;
      expect(entry.rows).toBe(rows[split]);
      expect(entry.labelCounts.reduce((a, b) => a + b, 0)).toBe(rows[split]);
      if (labels !== null) expect(entry.labelCounts).toEqual(labels[split]);
      const fromCache = await readSplitArrow(join(prepared.dir, entry.files[0]!.file), entry.files[0]!.sha256);
      const fromSource = await spec.read(release, split);
      expect(flat(fromCache)).toEqual(flat(fromSource));
      expect(fromCache.labels).toEqual(fromSource.labels);
      // Every task's ids fit one byte; images are fixed-length rows, stored without offsets.
      expect(fromCache.documents.chunks[0]!.values).toBeInstanceOf(Uint8Array);
      if (task === 'image') expect(fromCache.documents.chunks[0]!.offsets).toBeNull();
    }
  });

  it('gives byte-identical caches when prepared twice from the same source', async () => {
    const one = await prepareTask({ task, dataDir: join(dir, 'b1'), source: release });
    const two = await prepareTask({ task, dataDir: join(dir, 'b1'), source: release });
    const three = await prepareTask({ task, dataDir: join(dir, 'b2'), source: release });
    expect(two.dir).toBe(one.dir);
    const a = await cacheBytes(one.dir);
    expect(Object.keys(a).sort()).toEqual(['manifest.json', 'sources.sha256', 'test.arrow', 'train.arrow', 'val.arrow']);
    expect(await cacheBytes(two.dir)).toEqual(a);
    const b = await cacheBytes(three.dir);
    // The manifest names the source, not the data folder: a cache made elsewhere is identical.
    expect(b).toEqual(a);
  });

  it('loads the cache through ensureTaskData and inspects every split', async () => {
    const { splits } = await ensureTaskData({ task, dataDir: join(dir, 'a'), source: release });
    const spec = getTask(task);
    for (const split of spec.splits) {
      const report = inspectSplit(spec, splits[split]);
      expect(report).toMatchObject({ task, split, count: rows[split], vocabSize: spec.vocabSize, numClasses: spec.numClasses });
      expect(report.first!.tokens).toEqual(Array.from(splits[split].documents.row(0).subarray(0, 32)));
      if (spec.pair) expect(report.first!.tokens2).toEqual(Array.from(splits[split].documents2!.row(0).subarray(0, 32)));
      else expect(report.first!.tokens2).toBeUndefined();
    }
  });
});

describe('prepare with skipBad', () => {
  it('records the skipped count of each split in the manifest', async () => {
    const root = join(dir, 'bad-release');
    await writeAan(root, {
      train: ['1.0\ta\tb\tx\ty', 'oops\ta\tb\tx\ty', '0.0\ta\tb\tx'],
      eval: ['1.0\ta\tb\tx\ty'],
      test: ['0.0\ta\tb\tx\ty'],
    });
    await expect(prepareTask({ task: 'retrieval', dataDir: join(dir, 'c'), source: root })).rejects.toThrow(/new_aan_pairs\.train\.tsv:2: label "oops" is not a number$/);
    const prepared = await prepareTask({ task: 'retrieval', dataDir: join(dir, 'c'), source: root, skipBad: true });
    expect(prepared.manifest.skipBad).toBe(true);
    expect(prepared.manifest.splits.train).toMatchObject({ rows: 1, skipped: 2, labelCounts: [0, 1] });
    expect(prepared.manifest.splits.val).toMatchObject({ rows: 1, skipped: 0 });
  });
});
