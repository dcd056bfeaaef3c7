import { readFileSync } from 'node:fs';
// With --skip-bad, a bad CIFAR record is counted once, in the split its place in TFDS's order
// gives it (train and val cut one order of the same records), and inspect shows the count.
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

/** Places in TFDS's order of the 20 records plus a cut-short 21st (scripts/fixtures/cifar_tfds_order.py). */
const trailing = (JSON.parse(readFileSync(new URL('../../fixtures/cifar-tfds-order.json', import.meta.url), 'utf8')) as {
  trailing: { order: number[]; val: number[] };
}).trailing;

describe('CIFAR --skip-bad counts', () => {
  it('the places: record 0 and the cut-short place 20 both fall in train (19 of 21 places)', () => {
    expect(trailing.val).not.toContain(0);
    expect(trailing.val).not.toContain(20);
    expect(trailing.order.length - trailing.val.length).toBe(19);
  });

  it('one truncated record at the end of the last file counts once, in the split of its place', async () => {
    const root = await cifarWith('truncated', { truncatedLast: true });
    const train = await readImageSplit(root, 'train', { skipBad: true });
    const val = await readImageSplit(root, 'val', { skipBad: true });
    expect([train.count, val.count]).toEqual([18, 2]);
    expect([train.skipped, val.skipped]).toEqual([1, 0]);
  });

  it('a bad label at the start and a truncated end count where their places fall: 2 in all, as the report sums them', async () => {
    const root = await cifarWith('both', { truncatedLast: true, badLabelFirst: true });
    const dataDir = join(dir, 'both-data');
    await prepareTask({ task: 'image', dataDir, source: root, skipBad: true });
    const { splits, prepared } = await ensureTaskData({ task: 'image', dataDir, source: root, skipBad: true });
    expect([splits.train.skipped, splits.val.skipped, splits.test.skipped]).toEqual([2, 0, 0]);
    expect([splits.train.count, splits.val.count]).toEqual([17, 2]);
    expect(Object.values(prepared.manifest.splits).reduce((n, s) => n + s!.skipped, 0)).toBe(2);
    // `lra data inspect` shows it.
    expect(inspectSplit(getTask('image'), splits.train)).toMatchObject({ split: 'train', count: 17, skipped: 2 });
    expect(inspectSplit(getTask('image'), splits.test).skipped).toBe(0);
  });
});
