// Through the trainer: `lra train --verify` hashes every cache file, whatever its stamp
// says, and a file that fails stops the run before its directory is touched.
import { existsSync } from 'node:fs';
import { readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTaskData, getTask, prepareTask } from '@lra/data';
import { selectBackend } from '@lra/models';
import { resolveConfig } from '../../src/config/resolve.js';
import { train } from '../../src/train/run.js';
import { silentLogger } from '../../src/util/logger.js';
import { tempDir } from './fixtures.js';

describe('lra train --verify', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('finds a changed cache file whose size and mtime were kept, before the run directory is written', async () => {
    const dataDir = tempDir('verify-data');
    const source = join(tempDir('verify-src'), 'listops-1000');
    await getTask('listops').generator!.generate(source, { counts: { train: 40, val: 10, test: 10 }, minLength: 8, maxLength: 40, seed: 4 });
    const { dir } = await prepareTask({ task: 'listops', dataDir, source });
    const when = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    for (const name of await readdir(dir)) if (name.endsWith('.arrow')) await utimes(join(dir, name), when, when);
    await ensureTaskData({ task: 'listops', dataDir }); // stamps every file as verified

    // One bit of the training file changed, its size and mtime as they were.
    const file = join(dir, 'train.arrow');
    const bytes = await readFile(file);
    bytes[bytes.length >> 1]! ^= 0x01;
    await writeFile(file, bytes);
    await utimes(file, when, when);

    const out = join(tempDir('verify-run'), 'run');
    const resolved = resolveConfig({
      task: 'listops',
      mixer: 'attention',
      preset: 'tiny',
      dataDir,
      out,
      sets: ['data.generator=null', 'data.seqLen=40', 'backend=wasm', 'model.dModel=16', 'model.heads=2', 'model.mlpDim=32', 'train.steps=2', 'train.logEvery=1', 'train.evalEvery=2'],
    });
    await expect(train({ resolved, log: silentLogger(), progress: false, verify: true })).rejects.toThrow(`${file}: checksum mismatch`);
    expect(existsSync(out)).toBe(false);
  });
});
