import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataFormatError, DataSourceError } from '../../../src/errors.js';
import { tasks } from '../../../src/tasks/registry.js';
import { parseRetrievalLabel, readRetrievalFile, readRetrievalSplit } from '../../../src/tasks/retrieval/reader.js';
import { aanLine, reviewText, writeAan, type AanRow } from '../official-fixtures.js';
import { flat } from '../../synthetic-split.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lra-retrieval-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ids = (text: string): number[] => Array.from(Buffer.from(text, 'utf8'), (b) => b + 1);

const rows: AanRow[] = [
  { label: '1.0', id1: 'P00-1001', id2: 'J98-2001', text1: 'We parse "quoted" text, naïvely.', text2: reviewText(4500, 1) },
  { label: '0.0', id1: 'P00-1002', id2: 'W03-0419', text1: 'Short.', text2: 'Terse.' },
  { label: '1', id1: 'a', id2: 'b', text1: 'x', text2: 'y' },
];

describe('readRetrievalSplit', () => {
  it('reads 5 tab-separated columns without header or quoting; float labels; byte ids per document, each truncated', async () => {
    const root = join(dir, 'ok');
    await writeAan(root, { train: rows.map(aanLine), eval: [aanLine(rows[1]!)], test: [aanLine(rows[0]!)] });
    const data = await readRetrievalSplit(root, 'train');
    expect(data.count).toBe(3);
    expect(Array.from(data.labels)).toEqual([1, 0, 1]);
    const doc = (offsets: Int32Array, tokens: Int32Array, i: number): number[] => Array.from(tokens.subarray(offsets[i], offsets[i + 1]));
    expect(doc(flat(data).offsets, flat(data).tokens, 0)).toEqual(ids(rows[0]!.text1));
    expect(doc(flat(data).offsets2!, flat(data).tokens2!, 0)).toEqual(ids(rows[0]!.text2).slice(0, 4000));
    expect(doc(flat(data).offsets, flat(data).tokens, 1)).toEqual(ids('Short.'));
    expect(doc(flat(data).offsets2!, flat(data).tokens2!, 1)).toEqual(ids('Terse.'));
    expect(doc(flat(data).offsets2!, flat(data).tokens2!, 2)).toEqual(ids('y'));
    expect(data.sources).toEqual([join(root, 'tsv_data', 'new_aan_pairs.train.tsv')]);
  });

  it('reads val from the eval file, from the release root or tsv_data/ itself', async () => {
    const root = join(dir, 'ok');
    const val = await readRetrievalSplit(root, 'val');
    const same = await readRetrievalSplit(join(root, 'tsv_data'), 'val', { seqLen: 3 });
    expect(val.split).toBe('val');
    expect(Array.from(flat(val).tokens)).toEqual(ids('Short.'));
    expect(Array.from(flat(same).tokens)).toEqual(ids('Sho'));
    const err = await readRetrievalSplit(join(dir, 'ok', 'tsv_data', 'none'), 'val').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataSourceError);
  });

  it('parses labels as floats that must be 0 or 1', () => {
    const enc = (s: string): Uint8Array => Buffer.from(s);
    expect(['0.0', '1.0', '1', '0', '1.', '.0', '1e0', '+1.0', '-0.0'].map((s) => parseRetrievalLabel(enc(s)))).toEqual([0, 1, 1, 0, 1, 0, 1, 1, 0]);
    expect(parseRetrievalLabel(enc('2.0'))).toBe('label "2.0" is not 0 or 1');
    expect(parseRetrievalLabel(enc('0.5'))).toBe('label "0.5" is not 0 or 1');
    expect(parseRetrievalLabel(enc('yes'))).toBe('label "yes" is not a number');
    expect(parseRetrievalLabel(enc(''))).toBe('label "" is not a number');
    expect(parseRetrievalLabel(enc(' 1.0'))).toBe('label " 1.0" is not a number');
  });

  it('rejects a wrong column count or a bad label with file and line, or skips and counts them', async () => {
    const path = join(dir, 'bad.tsv');
    const lines = [aanLine(rows[0]!), 'label\tid1\tid2\ttext1\ttext2', '1.0\ta\tb\ttext with\ta tab\tmore', '0.0\ta\tb\tonly four', '3.0\ta\tb\tx\ty', aanLine(rows[2]!)];
    await writeFile(path, `${lines.join('\r\n')}\r\n`);
    await expect(readRetrievalFile(path, 'train')).rejects.toThrow(new DataFormatError(path, 2, 'label "label" is not a number'));
    const data = await readRetrievalFile(path, 'train', { skipBad: true });
    expect(data.count).toBe(2);
    expect(data.skipped).toBe(4);
    expect(Array.from(data.labels)).toEqual([1, 1]);

    const cases: Array<[string, string]> = [
      ['1.0\ta\tb\ttext with\ta tab\tmore', 'expected 5 tab-separated columns (label, id1, id2, text1, text2), found 6'],
      ['0.0\ta\tb\tonly four', 'expected 5 tab-separated columns (label, id1, id2, text1, text2), found 4'],
      ['3.0\ta\tb\tx\ty', 'label "3.0" is not 0 or 1'],
    ];
    for (const [line, reason] of cases) {
      await writeFile(path, `${aanLine(rows[1]!)}\n${line}\n`);
      await expect(readRetrievalFile(path, 'test')).rejects.toThrow(new DataFormatError(path, 2, reason));
    }
    await writeFile(path, '');
    await expect(readRetrievalFile(path, 'test')).rejects.toThrow(new DataFormatError(path, 1, 'empty file: expected rows of label, id1, id2, text1, text2'));
  });

  it('is registered as a pair task with the LRA settings', () => {
    const { name, seqLen, vocabSize, numClasses, pair, sourceFolders } = tasks.retrieval;
    expect({ name, seqLen, vocabSize, numClasses, pair, sourceFolders }).toEqual({
      name: 'retrieval',
      seqLen: 4000,
      vocabSize: 257,
      numClasses: 2,
      pair: true,
      sourceFolders: ['tsv_data'],
    });
  });
});
