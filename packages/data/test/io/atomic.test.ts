import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStaleTempFiles, writeFileAtomic, writeFileAtomicWith } from '../../src/io/atomic.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lra-atomic-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomicWith', () => {
  it('leaves the old file and no temporary file when the writer fails half way', async () => {
    const path = join(dir, 'data.bin');
    await writeFileAtomic(path, 'old contents');
    const failure = writeFileAtomicWith(path, async (writer) => {
      await writer.write(Buffer.alloc(6 << 20, 1)); // past the flush size: really on disk
      throw new Error('disk on fire');
    });
    await expect(failure).rejects.toThrow('disk on fire');
    expect(await readFile(path, 'utf8')).toBe('old contents');
    expect(await readdir(dir)).toEqual(['data.bin']);
  });

  it('creates the folder, writes everything, and reports the size and SHA-256', async () => {
    const path = join(dir, 'sub', 'x.txt');
    const result = await writeFileAtomicWith(path, async (writer) => {
      for (let i = 0; i < 3; i++) await writer.write(`line ${i}\n`);
    });
    const text = 'line 0\nline 1\nline 2\n';
    expect(await readFile(path, 'utf8')).toBe(text);
    expect(result).toEqual({ bytes: 21, sha256: createHash('sha256').update(text).digest('hex') });
  });
});

describe('removeStaleTempFiles', () => {
  it("removes temporary files of dead processes and keeps live processes' and other files", async () => {
    const sub = join(dir, 'stale');
    await mkdir(sub);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited by now
    const names = [`train.arrow.tmp-${dead}-0123abcd`, `val.arrow.tmp-${process.ppid}-0123abcd`, 'train.arrow', 'notes.tmp-1-x'];
    for (const name of names) await writeFile(join(sub, name), 'x');
    expect(await removeStaleTempFiles(sub)).toEqual([`train.arrow.tmp-${dead}-0123abcd`]);
    expect((await readdir(sub)).sort()).toEqual(names.slice(1).sort());
  });
});
