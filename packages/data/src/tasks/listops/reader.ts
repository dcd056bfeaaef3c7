import { DataFormatError } from '../../errors.js';
import { readLines } from '../../io/lines.js';
import { SplitDataBuilder, collectSplit } from '../../split-builder.js';
import type { ReadOptions, ReadReport, SplitData, SplitName, SplitSink } from '../../types.js';
import { findSourceFile } from '../source-files.js';
import { ListOpsExpressionParser } from './expression.js';

export const LISTOPS_HEADER = 'Source\tTarget';
export const LISTOPS_TASK_FOLDERS: readonly string[] = ['listops-1000'];
export const LISTOPS_SEQ_LEN = 2000;

const TAB = 9;
const HEADER_BYTES = Buffer.from(LISTOPS_HEADER, 'latin1');

export function listopsFileName(split: SplitName): string {
  return `basic_${split}.tsv`;
}

/** Shows a piece of a bad line in an error message without flooding the terminal. */
function excerpt(bytes: Uint8Array, max = 60): string {
  const text = Buffer.from(bytes.subarray(0, max * 4)).toString('utf8');
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}...` : text).replaceAll('\\t', '<TAB>');
}

function isAsciiSpace(b: number): boolean {
  return b === 32 || (b >= 9 && b <= 13);
}

/** The Target column as an integer label, or a reason why it is not one. */
function parseLabel(bytes: Uint8Array): number | string {
  let start = 0;
  let end = bytes.length;
  while (start < end && isAsciiSpace(bytes[start]!)) start++;
  while (end > start && isAsciiSpace(bytes[end - 1]!)) end--;
  const text = Buffer.from(bytes.subarray(start, end)).toString('utf8');
  if (!/^[+-]?\d+$/.test(text)) return `label ${JSON.stringify(text)} is not an integer`;
  const value = Number(text);
  if (value < 0 || value > 9) return `label ${text} is outside 0-9`;
  return value;
}

/**
 * Reads one official ListOps file (`Source<TAB>Target` header, one expression and its label per
 * row). Every label is recomputed from its expression; a row that disagrees, or is malformed in
 * any other way, throws a DataFormatError (or, with `skipBad`, is skipped and counted).
 */
export async function readListOpsFile(path: string, split: SplitName, opts: ReadOptions = {}): Promise<SplitData> {
  return collectSplit(new SplitDataBuilder('listops', split, opts.seqLen ?? LISTOPS_SEQ_LEN), (sink) => readListOpsFileInto(path, sink, opts));
}

/** `readListOpsFile` row by row into `sink`. */
export async function readListOpsFileInto(path: string, builder: SplitSink, opts: ReadOptions = {}): Promise<ReadReport> {
  const parser = new ListOpsExpressionParser();
  let sawHeader = false;

  const reject = (line: number, reason: string): void => {
    if (!opts.skipBad) throw new DataFormatError(path, line, reason);
    builder.skip();
  };

  for await (const { bytes, number } of readLines(path, opts.onProgress)) {
    if (!sawHeader) {
      if (!Buffer.from(bytes).equals(HEADER_BYTES)) {
        throw new DataFormatError(path, number, `missing header: expected "Source<TAB>Target", found ${excerpt(bytes)}`);
      }
      sawHeader = true;
      continue;
    }
    const tab = bytes.indexOf(TAB);
    const secondTab = tab < 0 ? -1 : bytes.indexOf(TAB, tab + 1);
    if (tab < 0 || secondTab >= 0) {
      let columns = 1;
      for (const b of bytes) if (b === TAB) columns++;
      reject(number, `expected 2 tab-separated columns (Source, Target), found ${columns}`);
      continue;
    }
    const label = parseLabel(bytes.subarray(tab + 1));
    if (typeof label === 'string') {
      reject(number, label);
      continue;
    }
    if (!parser.parse(bytes, 0, tab)) {
      reject(number, `expression does not parse: ${parser.error}`);
      continue;
    }
    if (parser.value !== label) {
      reject(number, `label ${label} disagrees with the expression, whose value is ${parser.value}`);
      continue;
    }
    await builder.add(parser.tokens.subarray(0, parser.length), label);
  }

  if (!sawHeader) throw new DataFormatError(path, 1, 'empty file: expected the header "Source<TAB>Target"');
  if (builder.count === 0 && builder.skipped === 0) {
    throw new DataFormatError(path, 2, 'no rows after the header');
  }
  return { sources: [path] };
}

/** Reads `basic_<split>.tsv` from the release root (`lra_release/`) or from `listops-1000/` itself. */
export async function readListOpsSplit(source: string, split: SplitName, opts: ReadOptions = {}): Promise<SplitData> {
  return collectSplit(new SplitDataBuilder('listops', split, opts.seqLen ?? LISTOPS_SEQ_LEN), (sink) => readListOpsSplitInto(source, split, sink, opts));
}

/** `readListOpsSplit` row by row into `sink`. */
export async function readListOpsSplitInto(source: string, split: SplitName, sink: SplitSink, opts: ReadOptions = {}): Promise<ReadReport> {
  const path = await findSourceFile(source, LISTOPS_TASK_FOLDERS, listopsFileName(split), `ListOps ${split} split`);
  return readListOpsFileInto(path, sink, opts);
}
