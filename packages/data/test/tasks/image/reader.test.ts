import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataFormatError, DataSourceError } from '../../../src/errors.js';
import { grayPlanar, lraGray } from '../../../src/tasks/image/grayscale.js';
import { cifarTfdsOrder, cifarTrainCount, parseCifarFile, readImageSplit } from '../../../src/tasks/image/reader.js';
import type { SplitData } from '../../../src/types.js';
import { tasks } from '../../../src/tasks/registry.js';
import { cifarRecord, concat, numberedRecord, writeCifar } from '../official-fixtures.js';
import { flat } from '../../synthetic-split.js';

/** Written by scripts/fixtures/cifar_tfds_order.py (hashlib's md5, independent of this code). */
const tfdsOrder = JSON.parse(readFileSync(new URL('../../fixtures/cifar-tfds-order.json', import.meta.url), 'utf8')) as {
  small: { order: number[]; val: number[] };
  trailing: { order: number[]; val: number[] };
  full: { first20: number[]; valSorted: number[] };
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lra-image-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('lraGray', () => {
  it('matches a float32 evaluation of tf.image.rgb_to_grayscale + cast (values from numpy float32)', () => {
    // Colours where float32 and float64 arithmetic disagree, then random ones.
    const cases: Array<[number, number, number, number]> = [
      [0, 122, 186, 93], [40, 96, 215, 93], [70, 105, 90, 93], [100, 236, 151, 186], [126, 42, 145, 79],
      [152, 103, 253, 135], [174, 64, 151, 107], [199, 146, 171, 165], [220, 158, 238, 186], [242, 119, 136, 158],
      [171, 184, 229, 185], [206, 20, 171, 92], [5, 204, 153, 138], [206, 213, 53, 193], [120, 6, 173, 59],
      [131, 236, 96, 189], [161, 87, 4, 99], [73, 42, 71, 54], [0, 0, 0, 0], [255, 255, 255, 255],
    ];
    for (const [r, g, b, gray] of cases) expect([r, g, b, lraGray(r, g, b)]).toEqual([r, g, b, gray]);
  });

  it('agrees with numpy float32 over all 16.7M colours (sum and sum of squares)', () => {
    let sum = 0;
    let squares = 0;
    for (let r = 0; r < 256; r++) {
      for (let g = 0; g < 256; g++) {
        for (let b = 0; b < 256; b++) {
          const v = lraGray(r, g, b);
          sum += v;
          squares += v * v;
        }
      }
    }
    expect([sum, squares]).toEqual([2134686634, 312721373002]);
  });

  it('truncates rather than rounds: grey 0.2989 * 255.5 * 3/255 is 0.898..., so (3, 0, 0) is 0', () => {
    expect(lraGray(3, 0, 0)).toBe(0);
    expect(lraGray(4, 0, 0)).toBe(1);
    const planar = new Uint8Array(3 * 4);
    planar.set([0, 3, 4, 255], 0); // R
    planar.set([0, 0, 0, 255], 4); // G
    planar.set([0, 0, 0, 255], 8); // B
    const out = new Int32Array(4);
    grayPlanar(planar, out, 1);
    expect(Array.from(out)).toEqual([1, 1, 2, 256]);
  });
});

describe('parseCifarFile', () => {
  it('reads records of a label byte and three 1024-byte planes, as grey ids + 1', () => {
    const record = cifarRecord(7, (c, i) => (c === 0 ? i % 256 : c === 1 ? 255 - (i % 256) : 17));
    const { tokens, labels, count } = parseCifarFile('f.bin', concat([record, numberedRecord(3)]));
    expect(count).toBe(2);
    expect(Array.from(labels)).toEqual([7, 3]);
    for (const i of [0, 1, 200, 1023]) expect(tokens[i]).toBe(lraGray(i % 256, 255 - (i % 256), 17) + 1);
  });

  it('names the file and the truncated record when the size is not a multiple of 3073', () => {
    const bytes = concat([numberedRecord(0), numberedRecord(1), numberedRecord(2).subarray(0, 100)]);
    expect(() => parseCifarFile('/d/data_batch_1.bin', bytes)).toThrow(
      new DataFormatError('/d/data_batch_1.bin', 3, 'size 6246 is not a multiple of 3073: record 3 (from byte 6146) holds 100 of its 3073 bytes'),
    );
    const skipped = parseCifarFile('/d/data_batch_1.bin', bytes, true);
    expect([skipped.count, skipped.skipped]).toEqual([2, 1]);
  });

  it('rejects a label above 9, naming the record', () => {
    const bytes = concat([numberedRecord(0), cifarRecord(10, () => 0)]);
    expect(() => parseCifarFile('t.bin', bytes)).toThrow(new DataFormatError('t.bin', 2, 'label 10 is outside 0-9 (record at byte 3073)'));
    expect(parseCifarFile('t.bin', bytes, true).count).toBe(1);
    expect(() => parseCifarFile('t.bin', new Uint8Array(0))).toThrow(new DataFormatError('t.bin', 1, 'empty file: expected records of 3073 bytes'));
  });
});

describe('readImageSplit', () => {
  it("splits the training records 90/10 in TFDS's md5 order (hashlib's, from the fixture) and reads test_batch.bin in file order", async () => {
    const root = join(dir, 'ok');
    await writeCifar(root, 4, 3); // 20 training records: 18 train, 2 val
    const train = await readImageSplit(root, 'train');
    const val = await readImageSplit(join(root, 'cifar-10-batches-bin'), 'val');
    const test = await readImageSplit(root, 'test');
    expect([train.count, val.count, test.count]).toEqual([18, 2, 3]);
    const { order, val: valRecords } = tfdsOrder.small;
    const rows = (data: SplitData): Int32Array[] => Array.from({ length: data.count }, (_, r) => data.documents.row(r));
    const recordTokens = (n: number): Int32Array => parseCifarFile('x', numberedRecord(n)).tokens;
    expect(rows(train)).toEqual(order.slice(0, 18).map(recordTokens));
    expect(rows(val)).toEqual(valRecords.map(recordTokens));
    expect(Array.from(train.labels)).toEqual(order.slice(0, 18).map((n) => n % 10));
    expect(rows(test)).toEqual([10_000, 10_001, 10_002].map(recordTokens));
    expect(Array.from(flat(train).offsets.subarray(0, 3))).toEqual([0, 1024, 2048]);
    expect(train.sources).toHaveLength(5);
  });

  it('orders 50,000 records as TFDS does: the first 20 and the 5,000 of val match hashlib', () => {
    const order = cifarTfdsOrder(50_000);
    expect(Array.from(order.subarray(0, 20))).toEqual(tfdsOrder.full.first20);
    expect(Array.from(order.subarray(cifarTrainCount(50_000))).sort((a, b) => a - b)).toEqual(tfdsOrder.full.valSorted);
  });

  it('takes train[:90%] with round-half-even as tfds does', () => {
    expect([50_000, 20, 5, 15, 25, 1].map(cifarTrainCount)).toEqual([45_000, 18, 4, 14, 22, 1]);
  });

  it('lists the paths it tried when a file is missing, and stops at a truncated file', async () => {
    const root = join(dir, 'broken');
    await writeCifar(root, 2, 1);
    await rm(join(root, 'cifar-10-batches-bin', 'data_batch_4.bin'));
    const err = await readImageSplit(root, 'train').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataSourceError);
    expect((err as Error).message).toContain(join(root, 'cifar-10-batches-bin', 'data_batch_4.bin'));
    const path = join(root, 'cifar-10-batches-bin', 'test_batch.bin');
    await writeFile(path, new Uint8Array(3072));
    await expect(readImageSplit(root, 'test')).rejects.toThrow(
      new DataFormatError(path, 1, 'size 3072 is not a multiple of 3073: record 1 (from byte 0) holds 3072 of its 3073 bytes'),
    );
  });

  it('is registered with 1024 tokens, 10 classes and ids 1..256 (0 stays padding)', () => {
    const { seqLen, vocabSize, numClasses, pair, padId } = tasks.image;
    expect({ seqLen, vocabSize, numClasses, pair, padId }).toEqual({ seqLen: 1024, vocabSize: 257, numClasses: 10, pair: false, padId: 0 });
  });
});
