import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSplitArrow, splitToTable, writeSplitArrow } from '../../src/cache/arrow.js';
import { CacheError } from '../../src/errors.js';
import { flat, syntheticSplit } from '../synthetic-split.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lra-arrow-large-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('split files too large to read in one piece', () => {
  it('are streamed out with the same bytes as a one-piece IPC file, and the same bytes every time', async () => {
    const data = syntheticSplit(300, true, 5);
    const opts = { vocabVersion: 'v', maxBatchTokens: 1000 }; // several record batches
    const path = join(dir, 'streamed.arrow');
    const first = await writeSplitArrow(path, data, opts);
    const bytes = await readFile(path);
    expect(Buffer.from(tableToIPC(splitToTable(data, opts), 'file')).equals(bytes)).toBe(true);
    const again = await writeSplitArrow(join(dir, 'again.arrow'), data, opts);
    expect(again).toEqual(first);
  });

  it('are read one record batch at a time, checksummed on the way, with the same result', async () => {
    const data = syntheticSplit(300, true, 6);
    const path = join(dir, 'batches.arrow');
    const { sha256, bytes } = await writeSplitArrow(path, data, { maxBatchTokens: 700 });
    const whole = await readSplitArrow(path, sha256);
    const byBatches = await readSplitArrow(path, sha256, bytes - 1);
    expect(flat(byBatches)).toEqual(flat(data));
    expect(byBatches.labels).toEqual(data.labels);
    expect(flat(byBatches)).toEqual(flat(whole));
    expect([byBatches.count, byBatches.split, byBatches.skipped]).toEqual([data.count, data.split, data.skipped]);
    await expect(readSplitArrow(path, '0'.repeat(64), 10)).rejects.toThrow(CacheError);
    await writeFile(path, Buffer.alloc(bytes, 7));
    await expect(readSplitArrow(path, undefined, 10)).rejects.toThrow(/not an Arrow IPC file/);
  });
});
