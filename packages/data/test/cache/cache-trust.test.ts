// A cache trusted by its stamp (size and mtime) still has its values checked on
// load, and an official cache that lost its manifest is an error, never replaced by generated data.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitFromIPC } from '../../src/cache/arrow.js';
import { CacheError } from '../../src/errors.js';
import { ensureTaskData, prepareTask } from '../../src/prepare.js';
import { getTask } from '../../src/tasks/registry.js';
import type { SplitData } from '../../src/types.js';

let root: string;
let source: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lra-cache-trust-'));
  source = join(root, 'listops-1000');
  await getTask('listops').generator!.generate(source, { counts: { train: 40, val: 10, test: 10 }, minLength: 8, maxLength: 40, seed: 2 });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** An official ListOps cache, as `lra data prepare --source` writes it. */
async function officialCache(name: string): Promise<{ dataDir: string; dir: string }> {
  const dataDir = join(root, name);
  const prepared = await prepareTask({ task: 'listops', dataDir, source });
  // Whole seconds, which utimes puts back exactly (a nanosecond mtime does not survive a Date).
  const when = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  for (const name of await readdir(prepared.dir)) if (name.endsWith('.arrow')) await utimes(join(prepared.dir, name), when, when);
  // Loaded once, so every file is stamped as verified on this machine.
  await ensureTaskData({ task: 'listops', dataDir });
  return { dataDir, dir: prepared.dir };
}

/**
 * Changes a split file in place, its size unchanged and its mtime put back: what the stamp sees
 * is the file it verified before.
 */
async function tamper(path: string, edit: (split: SplitData) => void): Promise<void> {
  const before = await stat(path);
  const bytes = new Uint8Array(await readFile(path));
  const split = splitFromIPC(path, bytes);
  // The split's arrays are views of `bytes`: editing them edits the file's content.
  expect(split.labels.buffer).toBe(bytes.buffer);
  edit(split);
  await writeFile(path, bytes);
  await utimes(path, before.atime, before.mtime);
}

describe('values of a cache trusted by its stamp', () => {
  it('a label of 99 is refused on load, naming the file and row', async () => {
    const { dataDir, dir } = await officialCache('label');
    const train = join(dir, 'train.arrow');
    await tamper(train, (split) => {
      split.labels[2] = 99;
    });
    const err = await ensureTaskData({ task: 'listops', dataDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CacheError);
    expect((err as Error).message).toContain(`${train}: row 3: label 99 is outside 0..9; prepare the cache again`);
  });

  it('a token id past the vocabulary is refused on load, not left to a gather error in training', async () => {
    const { dataDir, dir } = await officialCache('ids');
    const val = join(dir, 'val.arrow');
    await tamper(val, (split) => {
      const chunk = split.documents.chunks[0]!;
      // Stored values are id - 1: 200 is id 201 of a vocabulary of 17.
      chunk.values[(chunk.offsets?.[1] ?? 0) + 1] = 200;
    });
    await expect(ensureTaskData({ task: 'listops', dataDir })).rejects.toThrow(`${val}: row 2: tokens id 201 is outside 1..16 (the vocabulary has 17 ids)`);
  });

  it('labels changed within range pass the stamp, and fail verification (--verify hashes everything)', async () => {
    const { dataDir, dir } = await officialCache('verify');
    const test = join(dir, 'test.arrow');
    let flipped = 0;
    await tamper(test, (split) => {
      flipped = split.labels[0] === 0 ? 1 : 0;
      split.labels[0] = flipped;
    });
    const trusted = await ensureTaskData({ task: 'listops', dataDir });
    expect(trusted.splits.test.labels[0]).toBe(flipped);
    await expect(ensureTaskData({ task: 'listops', dataDir, verify: true })).rejects.toThrow(`${test}: checksum mismatch`);
  });
});

describe('an official cache without its manifest', () => {
  it('is an error naming the missing manifest, and no generated data takes its place', async () => {
    const { dataDir, dir } = await officialCache('manifest');
    await rm(join(dir, 'manifest.json'));
    const err = await ensureTaskData({ task: 'listops', dataDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CacheError);
    expect((err as Error).message).toBe(
      `${join(dir, 'manifest.json')}: missing, though the official cache folder holds sources.sha256, test.arrow, train.arrow, val.arrow, verified.json: ` +
        'those files cannot be verified without it, and generated data is not used in their place; ' +
        'run `lra data prepare --task listops --source DIR` with DIR holding ' +
        getTask('listops').sourceHint,
    );
    expect(existsSync(join(dataDir, 'raw', 'listops'))).toBe(false);
    expect((await readdir(join(dataDir, 'cache', 'listops'))).sort()).toEqual(['official']);
  });

  it('an unreadable manifest is an error too', async () => {
    const { dataDir, dir } = await officialCache('broken');
    await writeFile(join(dir, 'manifest.json'), '{"task": "listops", ');
    await expect(ensureTaskData({ task: 'listops', dataDir })).rejects.toThrow(/manifest\.json: unreadable manifest/);
  });
});
