import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataFormatError, DataSourceError } from '../../../src/errors.js';
import { readTextSplit } from '../../../src/tasks/text/reader.js';
import { tasks } from '../../../src/tasks/registry.js';
import { reviewText, writeImdb, type Review } from '../official-fixtures.js';
import { flat } from '../../synthetic-split.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lra-text-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ids = (text: string): number[] => Array.from(Buffer.from(text, 'utf8'), (b) => b + 1);

const train: Record<'pos' | 'neg', Review[]> = {
  pos: [
    { id: 10, rating: 9, text: 'Loved it.<br /><br />Again!' },
    { id: 2, rating: 7, text: '  Très bien\n' },
    { id: 100, rating: 10, text: reviewText(5000, 3) },
  ],
  neg: [
    { id: 3, rating: 1, text: 'Dull.' },
    { id: 0, rating: 4, text: '\tMeh. ' },
  ],
};
const test: Record<'pos' | 'neg', Review[]> = {
  pos: [{ id: 7, rating: 8, text: 'Good' }],
  neg: [{ id: 5, rating: 2, text: 'Bad' }],
};

describe('readTextSplit', () => {
  it('reads aclImdb as LRA does: stripped bytes + 1, neg 0 / pos 1, sorted by id, interleaved', async () => {
    const root = join(dir, 'ok');
    await writeImdb(root, { train, test });
    const data = await readTextSplit(root, 'train');
    expect(data.count).toBe(5);
    // neg by id (0, 3), pos by id (2, 10, 100), interleaved neg, pos, neg, pos, pos.
    expect(Array.from(data.labels)).toEqual([0, 1, 0, 1, 1]);
    const row = (i: number): number[] => Array.from(flat(data).tokens.subarray(flat(data).offsets[i], flat(data).offsets[i + 1]));
    expect(row(0)).toEqual(ids('Meh.'));
    expect(row(1)).toEqual(ids('Très bien'));
    expect(row(2)).toEqual(ids('Dull.'));
    expect(row(3)).toEqual(ids('Loved it.<br /><br />Again!'));
    expect(row(4)).toEqual(ids(reviewText(5000, 3)).slice(0, 4000));
    expect(data.seqLen).toBe(4000);
    expect(data.skipped).toBe(0);
    expect(data.sources).toHaveLength(5);
  });

  it('uses the test reviews for both val and test, and takes the release root or aclImdb/ itself', async () => {
    const root = join(dir, 'ok');
    const val = await readTextSplit(root, 'val');
    const fromFolder = await readTextSplit(join(root, 'aclImdb'), 'test');
    expect(val.split).toBe('val');
    expect(fromFolder.split).toBe('test');
    expect(Array.from(flat(val).tokens)).toEqual([...ids('Bad'), ...ids('Good')]);
    expect(flat(fromFolder).tokens).toEqual(flat(val).tokens);
    expect(Array.from(fromFolder.labels)).toEqual([0, 1]);
  });

  it('truncates to a seqLen override (1000 as in the released config)', async () => {
    const data = await readTextSplit(join(dir, 'ok'), 'train', { seqLen: 1000 });
    expect(flat(data).offsets[5]! - flat(data).offsets[4]!).toBe(1000);
    expect(data.seqLen).toBe(1000);
  });

  it('names the folders it looked for when there is no aclImdb layout', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty, { recursive: true });
    const err = await readTextSplit(empty, 'train').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataSourceError);
    expect((err as Error).message).toBe(
      `IMDB train split: no train/pos and train/neg folders found; looked in ${join(empty, 'train')} and ${join(empty, 'aclImdb', 'train')}`,
    );
  });

  it('rejects invalid UTF-8 with file, line and byte, or skips and counts it', async () => {
    const root = join(dir, 'latin1');
    const bad: Review = { id: 4, rating: 2, text: Buffer.concat([Buffer.from('ok\nfine\ncaf'), Buffer.from([0xe9]), Buffer.from(' x')]) };
    await writeImdb(root, { train: { pos: train.pos, neg: [...train.neg, bad] }, test });
    const file = join(root, 'aclImdb', 'train', 'neg', '4_2.txt');
    const err = await readTextSplit(root, 'train').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataFormatError);
    expect((err as DataFormatError).message).toBe(`${file}:3: invalid UTF-8 at byte 11: byte 0x20 cannot follow 0xe9 in a 3-byte sequence`);
    expect(err).toMatchObject({ file, line: 3 });
    const skipped = await readTextSplit(root, 'train', { skipBad: true });
    expect(skipped.count).toBe(5);
    expect(skipped.skipped).toBe(1);
  });

  it('rejects a file name that is not <id>_<rating>.txt, a rating that contradicts its folder, and an empty review', async () => {
    const cases: Array<[string, string, string]> = [
      ['notes.txt', 'text', 'file name "notes.txt" is not <id>_<rating>.txt'],
      ['12_5.txt', 'text', 'rating 5 in pos/, where ratings are 7-10'],
      ['13_8.txt', ' \n\t', 'empty review'],
    ];
    for (const [name, content, reason] of cases) {
      const root = join(dir, `bad-${name}`);
      await writeImdb(root, { train, test });
      const file = join(root, 'aclImdb', 'train', 'pos', name);
      await writeFile(file, content);
      await expect(readTextSplit(root, 'train')).rejects.toThrow(new DataFormatError(file, 1, reason));
      expect((await readTextSplit(root, 'train', { skipBad: true })).skipped).toBe(1);
    }
  });

  it('is registered with the LRA settings', () => {
    const { name, seqLen, vocabSize, numClasses, pair, padId, splits } = tasks.text;
    expect({ name, seqLen, vocabSize, numClasses, pair, padId, splits }).toEqual({
      name: 'text',
      seqLen: 4000,
      vocabSize: 257,
      numClasses: 2,
      pair: false,
      padId: 0,
      splits: ['train', 'val', 'test'],
    });
  });
});
