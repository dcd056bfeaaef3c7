import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPLIT_FILE_FORMAT, readSplitArrow, writeSplitArrow } from '../../src/cache/arrow.js';
import { CacheError } from '../../src/errors.js';
import type { SplitData } from '../../src/types.js';
import { flat, syntheticSplit } from '../synthetic-split.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lra-arrow-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function expectSameSplit(actual: SplitData, expected: SplitData): void {
  expect(actual.task).toBe(expected.task);
  expect(actual.split).toBe(expected.split);
  expect(actual.count).toBe(expected.count);
  expect(actual.seqLen).toBe(expected.seqLen);
  expect(actual.skipped).toBe(expected.skipped);
  expect(flat(actual)).toEqual(flat(expected));
  expect(actual.labels).toEqual(expected.labels);
}

describe('writeSplitArrow / readSplitArrow', () => {
  it('round-trips a split exactly, as views of one buffer (no copies)', async () => {
    const data = syntheticSplit(500);
    const path = join(dir, 'one.arrow');
    const { bytes, sha256 } = await writeSplitArrow(path, data, { vocabVersion: 'v-test' });
    const file = await readFile(path);
    expect(bytes).toBe(file.length);
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
    const back = await readSplitArrow(path, sha256);
    expectSameSplit(back, data);
    // Ids up to 300 need two bytes; ListOps-size and byte vocabularies take one.
    const chunk = back.documents.chunks[0]!;
    expect(chunk.values).toBeInstanceOf(Uint16Array);
    expect(chunk.values.buffer).toBe(chunk.offsets!.buffer);
    expect(chunk.values.buffer).toBe(back.labels.buffer);
  });

  it('round-trips pair splits, several record batches, and an empty split', async () => {
    const pair = syntheticSplit(300, true, 5);
    await writeSplitArrow(join(dir, 'pair.arrow'), pair, { maxBatchTokens: 1000 });
    expectSameSplit(await readSplitArrow(join(dir, 'pair.arrow')), pair);
    expect(tableFromIPC(await readFile(join(dir, 'pair.arrow'))).batches.length).toBeGreaterThan(5);

    const empty = syntheticSplit(0);
    await writeSplitArrow(join(dir, 'empty.arrow'), empty);
    expectSameSplit(await readSplitArrow(join(dir, 'empty.arrow')), empty);
  });

  it('writes an Arrow IPC file with List<Uint16> tokens (ids - 1), Int32 labels and the split in the metadata', async () => {
    const data = syntheticSplit(20, true);
    await writeSplitArrow(join(dir, 'meta.arrow'), data, { vocabVersion: 'v-test' });
    const bytes = await readFile(join(dir, 'meta.arrow'));
    expect(bytes.subarray(0, 6).toString('latin1')).toBe('ARROW1'); // the file format's magic
    expect(bytes.subarray(-6).toString('latin1')).toBe('ARROW1');
    const table = tableFromIPC(bytes);
    expect(table.schema.fields.map((f) => `${f.name}: ${String(f.type)}`)).toEqual([
      'tokens: List<Uint16>',
      'label: Int32',
      'tokens2: List<Uint16>',
    ]);
    expect(Object.fromEntries(table.schema.metadata)).toEqual({
      'lra.format': SPLIT_FILE_FORMAT,
      'lra.task': 'synthetic',
      'lra.split': 'val',
      'lra.seqLen': '40',
      'lra.vocabVersion': 'v-test',
      'lra.vocabSize': String(data.documents.largestId() + 1),
      'lra.idShift': '1',
      'lra.firstRow': '0',
      'lra.count': '20',
      'lra.skipped': '3',
      'lra.tokens': String(data.documents.totalTokens),
    });
    const row = 7;
    const expected = Array.from(data.documents.row(row), (id) => id - 1);
    expect(Array.from(table.getChild('tokens')!.get(row)!.toArray() as Uint16Array)).toEqual(expected);
    expect(table.getChild('label')!.get(row)).toBe(data.labels[row]);
  });

  it('refuses a checksum mismatch, a file that is not Arrow, and an Arrow file of another kind', async () => {
    const path = join(dir, 'sum.arrow');
    const { sha256 } = await writeSplitArrow(path, syntheticSplit(10));
    const wrong = sha256.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    await expect(readSplitArrow(path, wrong)).rejects.toThrow(
      new CacheError(path, `checksum mismatch: sha256 ${sha256}, manifest says ${wrong}`),
    );
    const junk = join(dir, 'junk.arrow');
    await writeFile(junk, 'not arrow at all');
    await expect(readSplitArrow(junk)).rejects.toThrow(CacheError);
    await expect(readSplitArrow(join(dir, 'absent.arrow'))).rejects.toThrow(`${join(dir, 'absent.arrow')}: cannot read (ENOENT)`);
  });

  it('rejects inconsistent split data before writing anything', async () => {
    const bad = { ...syntheticSplit(10), labels: new Int32Array(9) };
    await expect(writeSplitArrow(join(dir, 'bad.arrow'), bad)).rejects.toThrow('10 rows but 10 documents and 9 labels');
    expect((await readdir(dir)).filter((n) => n.startsWith('bad.arrow'))).toEqual([]);
  });
});
