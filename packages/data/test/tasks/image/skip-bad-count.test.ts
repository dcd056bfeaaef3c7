// With --skip-bad, a bad CIFAR record is counted once, in the split its place in the
// files gives it (train and val read the same files), and inspect shows the count.
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectSplit } from '../../../src/inspect.js';
import { ensureTaskData, prepareTask } from '../../../src/prepare.js';
import { readImageSplit } from '../../../src/tasks/image/reader.js';
import { getTask } from '../../../src/tasks/registry.js';
import { writeCifar } from '../official-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lra-cifar-skip-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** 5 files of 4 records (train 18, val 2), plus the faults the test asks for. */
async function cifarWith(name: string, faults: { truncatedLast?: boolean; badLabelFirst?: boolean }): Promise<string> {
  const root = join(dir, name);
  await writeCifar(root, 4, 3);
  const batches = join(root, 'cifar-10-batches-bin');
  if (faults.truncatedLast) await appendFile(join(batches, 'data_batch_5.bin'), new Uint8Array(1000));
  if (faults.badLabelFirst) {
    const first = await readFile(join(batches, 'data_batch_1.bin'));
    first[0] = 42;
    await writeFile(join(batches, 'data_batch_1.bin'), first);
  }
  return root;
}

describe('CIFAR --skip-bad counts', () => {
  it('one truncated record at the end of the last file counts once, in val', async () => {
    const root = await cifarWith('truncated', { truncatedLast: true });
    const train = await readImageSplit(root, 'train', { skipBad: true });
    const val = await readImageSplit(root, 'val', { skipBad: true });
    expect([train.count, val.count]).toEqual([18, 2]);
    expect([train.skipped, val.skipped]).toEqual([0, 1]);
  });

  it('a bad label at the start counts in train, a truncated end in val: 2 in all, as the report sums them', async () => {
    const root = await cifarWith('both', { truncatedLast: true, badLabelFirst: true });
    const dataDir = join(dir, 'both-data');
    await prepareTask({ task: 'image', dataDir, source: root, skipBad: true });
    const { splits, prepared } = await ensureTaskData({ task: 'image', dataDir, source: root, skipBad: true });
    expect([splits.train.skipped, splits.val.skipped, splits.test.skipped]).toEqual([1, 1, 0]);
    expect(Object.values(prepared.manifest.splits).reduce((n, s) => n + s!.skipped, 0)).toBe(2);
    // `lra data inspect` shows it.
    expect(inspectSplit(getTask('image'), splits.val)).toMatchObject({ split: 'val', count: 2, skipped: 1 });
    expect(inspectSplit(getTask('image'), splits.test).skipped).toBe(0);
  });
});
