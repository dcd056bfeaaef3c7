import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSplitArrow, writeSplitArrow } from '../../src/cache/arrow.js';
import { flat, syntheticSplit } from '../synthetic-split.js';

/** When set, the next file opened for writing dies after writing this many bytes. */
const failure = vi.hoisted(() => ({ afterBytes: -1 }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof fs.open = async (...args) => {
    const handle = await fs.open(...args);
    if (failure.afterBytes < 0 || args[1] !== 'wx') return handle;
    const limit = failure.afterBytes;
    failure.afterBytes = -1;
    // The process "dies" mid-write: part of the data reaches the disk, then the write fails.
    handle.writev = async (buffers: readonly NodeJS.ArrayBufferView[]) => {
      const first = Buffer.from((buffers[0] as Uint8Array).subarray(0, limit));
      await handle.write(first);
      throw new Error('simulated crash during write');
    };
    return handle;
  };
  return { ...fs, default: { ...fs, open }, open };
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lra-arrow-crash-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeSplitArrow interrupted mid-write', () => {
  it('never leaves a half-written file: the previous file stays, no temporary file remains', async () => {
    const path = join(dir, 'train.arrow');
    const before = syntheticSplit(200, false, 1);
    const { sha256 } = await writeSplitArrow(path, before);

    failure.afterBytes = 1000;
    await expect(writeSplitArrow(path, syntheticSplit(400, false, 2))).rejects.toThrow('simulated crash during write');
    expect(await readdir(dir)).toEqual(['train.arrow']);
    const after = await readSplitArrow(path, sha256);
    expect(flat(after)).toEqual(flat(before));
  });

  it('leaves nothing at all when there was no previous file', async () => {
    failure.afterBytes = 10;
    await expect(writeSplitArrow(join(dir, 'val.arrow'), syntheticSplit(50))).rejects.toThrow('simulated crash during write');
    expect(await readdir(dir)).toEqual(['train.arrow']);
  });
});
