// A Retrieval row with an empty text or a text that is not UTF-8 is refused with the
// file, line and reason, or skipped and counted with --skip-bad, as the IMDB reader does.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataFormatError } from '../../../src/errors.js';
import { readRetrievalFile } from '../../../src/tasks/retrieval/reader.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lra-retrieval-bad-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const good = Buffer.from('1.0\tP00-1\tJ98-2\tA paper on parsing.\tAnother on tagging.\n');

async function fileWith(name: string, bad: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, Buffer.concat([good, bad, good]));
  return path;
}

describe('Retrieval rows with bad texts', () => {
  const cases: Array<[string, Buffer, string]> = [
    ['empty text1', Buffer.from('0.0\ta\tb\t\tsome text\n'), 'text1 is empty'],
    ['whitespace-only text2', Buffer.from('0.0\ta\tb\tsome text\t   \n'), 'text2 is empty'],
    ['an empty text2 at the end of the line', Buffer.from('1.0\ta\tb\tsome text\t\n'), 'text2 is empty'],
    [
      'a text1 with a stray continuation byte',
      Buffer.concat([Buffer.from('1.0\ta\tb\tcaf'), Buffer.from([0x80]), Buffer.from('\tfine\n')]),
      'text1: invalid UTF-8 at byte 11 of the line: byte 0x80 is a continuation byte with no lead byte',
    ],
    [
      'a text2 cut inside a multi-byte character',
      Buffer.concat([Buffer.from('0.0\ta\tb\tfine\tna'), Buffer.from([0xc3]), Buffer.from('\n')]),
      'text2: invalid UTF-8 at byte 15 of the line: the 2-byte sequence starting with 0xc3 is cut off by the end of text2',
    ],
  ];

  for (const [what, line, reason] of cases) {
    it(`${what}: refused at line 2, or skipped and counted`, async () => {
      const path = await fileWith(what.replace(/\W+/g, '-'), line);
      const err = await readRetrievalFile(path, 'train').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataFormatError);
      expect((err as DataFormatError).line).toBe(2);
      expect((err as Error).message).toContain(`${path}:2: ${reason}`);
      const data = await readRetrievalFile(path, 'train', { skipBad: true });
      expect([data.count, data.skipped]).toEqual([2, 1]);
    });
  }
});
