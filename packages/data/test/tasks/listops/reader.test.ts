import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataFormatError, DataSourceError } from '../../../src/errors.js';
import { readListOpsFile, readListOpsSplit } from '../../../src/tasks/listops/reader.js';
import { listops } from '../../../src/tasks/listops.js';
import { official, value, type Expr } from './official-format.js';
import { flat } from '../../synthetic-split.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'listops-reader-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let fileNumber = 0;
async function tsv(content: string): Promise<string> {
  const path = join(dir, `f${fileNumber++}.tsv`);
  await writeFile(path, content);
  return path;
}

const good: Expr[] = [
  ['[MAX', 4, 3],
  ['[MED', 9, 0, 4, 7],
  ['[SM', ['[MED', 1, 2], ['[MIN', 9, 8], ['[MAX', 0, 0]],
  ['[MIN', 7, ['[MAX', 2, 5], 6],
];
const goodRows = good.map((e) => `${official(e)}\t${value(e)}`);

describe('readListOpsFile', () => {
  it('reads official rows into tokens and verified labels', async () => {
    const path = await tsv(`Source\tTarget\n${goodRows.join('\n')}\n`);
    const data = await readListOpsFile(path, 'train');
    expect(data.task).toBe('listops');
    expect(data.split).toBe('train');
    expect(data.count).toBe(4);
    expect(data.seqLen).toBe(2000);
    expect(data.skipped).toBe(0);
    expect(Array.from(data.labels)).toEqual([4, 5, 9, 5]);
    // ( ( ( [MAX 4 ) 3 ) ] ) -> [MAX 4 3 X
    expect(Array.from(flat(data).tokens.subarray(flat(data).offsets[0], flat(data).offsets[1]))).toEqual([12, 5, 4, 15]);
    // [MED 9 0 4 7 X
    expect(Array.from(flat(data).tokens.subarray(flat(data).offsets[1], flat(data).offsets[2]))).toEqual([13, 10, 1, 5, 8, 15]);
    expect(Array.from(flat(data).offsets)).toEqual([0, 4, 10, 24, 32]);
  });

  it('reads CRLF line ends (Python csv.writer) and a file without a final newline alike', async () => {
    const lf = await readListOpsFile(await tsv(`Source\tTarget\n${goodRows.join('\n')}\n`), 'val');
    const crlf = await readListOpsFile(await tsv(`Source\tTarget\r\n${goodRows.join('\r\n')}\r\n`), 'val');
    const bare = await readListOpsFile(await tsv(`Source\tTarget\n${goodRows.join('\n')}`), 'val');
    for (const other of [crlf, bare]) {
      expect(flat(other).tokens).toEqual(flat(lf).tokens);
      expect(other.labels).toEqual(lf.labels);
      expect(flat(other).offsets).toEqual(flat(lf).offsets);
    }
  });

  it('truncates to seqLen but verifies the label on the whole expression', async () => {
    // MAX over a long list whose maximum comes after the cut.
    const e: Expr = ['[MAX', 1, 1, 1, 1, 1, 1, 8];
    const data = await readListOpsFile(await tsv(`Source\tTarget\n${official(e)}\t8\n`), 'test', { seqLen: 5 });
    expect(data.seqLen).toBe(5);
    expect(Array.from(flat(data).tokens)).toEqual([12, 2, 2, 2, 2]);
    expect(Array.from(data.labels)).toEqual([8]);
  });

  it('reads lines longer than one read chunk', async () => {
    // ( ( ... ( [SM 0 ) 1 ) ... ] ) with 1.2 million arguments: about 7 MB on one line, more than a read chunk.
    const n = 1_200_000;
    const args = Array.from({ length: n }, (_, i) => `${(i * 7) % 10} )`).join(' ');
    const sum = Array.from({ length: n }, (_, i) => (i * 7) % 10).reduce((a, b) => a + b, 0);
    const wide = `${'( '.repeat(n + 1)}[SM ${args} ] )`;
    const path = await tsv(`Source\tTarget\n${official(['[MAX', 4, 3])}\t4\n${wide}\t${sum % 10}\n${goodRows[1]}\n`);
    const data = await readListOpsFile(path, 'train', { seqLen: 10 });
    expect(Array.from(data.labels)).toEqual([4, sum % 10, 5]);
    expect(Array.from(flat(data).tokens.subarray(4, 14))).toEqual([14, 1, 8, 5, 2, 9, 6, 3, 10, 7]);
  });

  const badRows: Array<[string, string]> = [
    ['( ( [MIN 4 ) ] )\t4\textra', 'expected 2 tab-separated columns (Source, Target), found 3'],
    ['( ( [MIN 4 ) ] )', 'expected 2 tab-separated columns (Source, Target), found 1'],
    ['', 'expected 2 tab-separated columns (Source, Target), found 1'],
    ['( ( [MIN 4 ) ] )\t12', 'label 12 is outside 0-9'],
    ['( ( [MIN 4 ) ] )\t-1', 'label -1 is outside 0-9'],
    ['( ( [MIN 4 ) ] )\tfour', 'label "four" is not an integer'],
    ['( ( [MIN 4 ) ] )\t4.0', 'label "4.0" is not an integer'],
    ['( ( [MIN 4 ) ] )\t', 'label "" is not an integer'],
    ['( ( [MIN 4 ) 5 )\t4', 'expression does not parse: unbalanced brackets: 1 operator not closed'],
    ['( ( ( [MAX 4 ) 3 ) ] ) ] )\t4', "expression does not parse: unbalanced brackets: ']' without an open operator"],
    ['( ( ( [MAX 4 ) 3 ) ]\t4', "expression does not parse: unbalanced parentheses: 1 '(' not closed"],
    ['( ( [FIRST 4 ) ] )\t4', 'expression does not parse: unknown token "[FIRST"'],
    ['( [MAX ] )\t4', 'expression does not parse: operator [MAX has no arguments'],
    ['\t4', 'expression does not parse: empty expression'],
    ['( ( ( [MAX 4 ) 3 ) ] )\t3', 'label 3 disagrees with the expression, whose value is 4'],
    ['( ( ( ( ( [MED 9 ) 0 ) 4 ) 7 ) ] )\t6', 'label 6 disagrees with the expression, whose value is 5'],
  ];

  it.each(badRows)('rejects %j with file:line: %s', async (row, reason) => {
    const path = await tsv(`Source\tTarget\n${goodRows[0]}\n${row}\n${goodRows[1]}\n`);
    const err = await readListOpsFile(path, 'train').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataFormatError);
    expect((err as DataFormatError).message).toBe(`${path}:3: ${reason}`);
    expect((err as DataFormatError).file).toBe(path);
    expect((err as DataFormatError).line).toBe(3);
    expect((err as DataFormatError).reason).toBe(reason);
  });

  it('skips and counts every bad row with skipBad, keeping the good ones in order', async () => {
    const rows = [goodRows[0], ...badRows.map(([row]) => row), goodRows[2], goodRows[3]];
    const path = await tsv(`Source\tTarget\r\n${rows.join('\r\n')}\r\n`);
    const data = await readListOpsFile(path, 'train', { skipBad: true });
    expect(data.count).toBe(3);
    expect(data.skipped).toBe(badRows.length);
    expect(Array.from(data.labels)).toEqual([4, 9, 5]);
  });

  it('rejects a missing header, an empty file and a header without rows, even with skipBad', async () => {
    const headerless = await tsv(`${goodRows[0]}\n`);
    await expect(readListOpsFile(headerless, 'train', { skipBad: true })).rejects.toThrow(
      new DataFormatError(headerless, 1, 'missing header: expected "Source<TAB>Target", found "( ( ( [MAX 4 ) 3 ) ] )<TAB>4"'),
    );
    const empty = await tsv('');
    await expect(readListOpsFile(empty, 'train', { skipBad: true })).rejects.toThrow(
      `${empty}:1: empty file: expected the header "Source<TAB>Target"`,
    );
    const headerOnly = await tsv('Source\tTarget\n');
    await expect(readListOpsFile(headerOnly, 'train')).rejects.toThrow(`${headerOnly}:2: no rows after the header`);
  });

  it('reports progress in bytes up to the file size', async () => {
    const content = `Source\tTarget\n${goodRows.join('\n')}\n`;
    const seen: Array<[number, number | undefined]> = [];
    await readListOpsFile(await tsv(content), 'train', { onProgress: (done, total) => seen.push([done, total]) });
    expect(seen.at(-1)).toEqual([Buffer.byteLength(content), Buffer.byteLength(content)]);
  });
});

describe('readListOpsSplit finds the files', () => {
  let root: string;
  beforeAll(async () => {
    root = join(dir, 'lra_release');
    await mkdir(join(root, 'listops-1000'), { recursive: true });
    for (const [split, row] of [['train', goodRows[0]], ['val', goodRows[1]], ['test', goodRows[2]]] as const) {
      await writeFile(join(root, 'listops-1000', `basic_${split}.tsv`), `Source\tTarget\r\n${row}\r\n`);
    }
  });

  it('in the release root and in the task folder', async () => {
    for (const source of [root, join(root, 'listops-1000')]) {
      expect(Array.from((await readListOpsSplit(source, 'train')).labels)).toEqual([4]);
      expect(Array.from((await listops.read(source, 'val')).labels)).toEqual([5]);
      expect(Array.from((await listops.read(source, 'test')).labels)).toEqual([9]);
    }
  });

  it('says what it looked for where when there is nothing', async () => {
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere, { recursive: true });
    const err = await readListOpsSplit(elsewhere, 'val').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataSourceError);
    expect((err as Error).message).toBe(
      `ListOps val split: no basic_val.tsv found; looked for ${join(elsewhere, 'basic_val.tsv')} and ${join(elsewhere, 'listops-1000', 'basic_val.tsv')}`,
    );
    await expect(readListOpsSplit(join(dir, 'missing'), 'val')).rejects.toThrow(
      `ListOps val split: source folder ${join(dir, 'missing')} does not exist or is not a folder`,
    );
  });
});
