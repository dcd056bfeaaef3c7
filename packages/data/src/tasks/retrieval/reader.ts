import { DataFormatError } from '../../errors.js';
import { readLines } from '../../io/lines.js';
import { SplitDataBuilder, collectSplit } from '../../split-builder.js';
import type { ReadOptions, ReadReport, SplitData, SplitName, SplitSink } from '../../types.js';
import { byteTokens, findInvalidUtf8, stripAsciiWhitespace } from '../bytes.js';
import { findSourceFile } from '../source-files.js';

export const RETRIEVAL_TASK_FOLDERS: readonly string[] = ['tsv_data'];
/** Per document. */
export const RETRIEVAL_SEQ_LEN = 4000;
export const RETRIEVAL_COLUMNS = ['label', 'id1', 'id2', 'text1', 'text2'] as const;

const TAB = 9;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The release names the validation split `eval`. */
export function retrievalFileName(split: SplitName): string {
  return `new_aan_pairs.${split === 'val' ? 'eval' : split}.tsv`;
}

/** The label column as 0 or 1 (the file writes floats, `0.0`/`1.0`), or why it is not one. */
export function parseRetrievalLabel(bytes: Uint8Array): number | string {
  const text = Buffer.from(bytes).toString('utf8');
  const shown = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
  if (!FLOAT.test(text)) return `label ${shown} is not a number`;
  const value = Number(text);
  if (value !== 0 && value !== 1) return `label ${shown} is not 0 or 1`;
  return value === 1 ? 1 : 0; // '-0.0' parses as -0
}

/**
 * Why the text column `bytes[start, end)` cannot be a document, or null: empty (or only
 * whitespace), as the IMDB reader refuses an empty review, or not UTF-8 (the AAN texts are).
 */
function textProblem(bytes: Uint8Array, column: string, start: number, end: number): string | null {
  const text = bytes.subarray(start, end);
  if (stripAsciiWhitespace(text).length === 0) return `${column} is empty`;
  const bad = findInvalidUtf8(text);
  // The checker speaks of a whole file; here the bytes end where the column does.
  return bad === null ? null : `${column}: invalid UTF-8 at byte ${start + bad.offset} of the line: ${bad.reason.replace('end of the file', `end of ${column}`)}`;
}

/** Offsets of the tab characters of a line, up to `max + 1` of them. */
function tabsOf(bytes: Uint8Array, max: number): number[] {
  const tabs: number[] = [];
  let at = bytes.indexOf(TAB);
  while (at >= 0 && tabs.length <= max) {
    tabs.push(at);
    at = bytes.indexOf(TAB, at + 1);
  }
  return tabs;
}

/**
 * Reads one AAN pairs file as LRA does: no header, 5 tab-separated columns (label, id1, id2,
 * text1, text2), no quoting; the label is a float that must be 0 or 1; each text becomes byte
 * ids (byte + 1) truncated to seqLen (4000 unless overridden). The texts are taken as the bytes
 * they are (LRA feeds them raw). A row with another column count, a bad label, an empty text or
 * a text that is not UTF-8 throws a DataFormatError, or with `skipBad` is skipped and counted.
 */
export async function readRetrievalFile(path: string, split: SplitName, opts: ReadOptions = {}): Promise<SplitData> {
  const builder = new SplitDataBuilder('retrieval', split, opts.seqLen ?? RETRIEVAL_SEQ_LEN, true);
  return collectSplit(builder, (sink) => readRetrievalFileInto(path, sink, opts));
}

/** `readRetrievalFile` row by row into `sink` (a pair sink). */
export async function readRetrievalFileInto(path: string, builder: SplitSink, opts: ReadOptions = {}): Promise<ReadReport> {
  const seqLen = builder.seqLen;
  const reject = (line: number, reason: string): void => {
    if (!opts.skipBad) throw new DataFormatError(path, line, reason);
    builder.skip();
  };
  let lines = 0;
  for await (const { bytes, number } of readLines(path, opts.onProgress)) {
    lines = number;
    const tabs = tabsOf(bytes, 4);
    if (tabs.length !== 4) {
      let columns = 1;
      for (const b of bytes) if (b === TAB) columns++;
      reject(number, `expected 5 tab-separated columns (${RETRIEVAL_COLUMNS.join(', ')}), found ${columns}`);
      continue;
    }
    const label = parseRetrievalLabel(bytes.subarray(0, tabs[0]));
    if (typeof label === 'string') {
      reject(number, label);
      continue;
    }
    const problem = textProblem(bytes, 'text1', tabs[2]! + 1, tabs[3]!) ?? textProblem(bytes, 'text2', tabs[3]! + 1, bytes.length);
    if (problem !== null) {
      reject(number, problem);
      continue;
    }
    const text1 = byteTokens(bytes, seqLen, tabs[2]! + 1, tabs[3]);
    const text2 = byteTokens(bytes, seqLen, tabs[3]! + 1, bytes.length);
    await builder.add(text1, label, text2);
  }
  if (lines === 0) throw new DataFormatError(path, 1, 'empty file: expected rows of label, id1, id2, text1, text2');
  return { sources: [path] };
}

/** Reads `new_aan_pairs.<split>.tsv` from the release root (`lra_release/`) or from `tsv_data/`. */
export async function readRetrievalSplit(source: string, split: SplitName, opts: ReadOptions = {}): Promise<SplitData> {
  const builder = new SplitDataBuilder('retrieval', split, opts.seqLen ?? RETRIEVAL_SEQ_LEN, true);
  return collectSplit(builder, (sink) => readRetrievalSplitInto(source, split, sink, opts));
}

/** `readRetrievalSplit` row by row into `sink` (a pair sink). */
export async function readRetrievalSplitInto(source: string, split: SplitName, sink: SplitSink, opts: ReadOptions = {}): Promise<ReadReport> {
  const path = await findSourceFile(source, RETRIEVAL_TASK_FOLDERS, retrievalFileName(split), `AAN retrieval ${split} split`);
  return readRetrievalFileInto(path, sink, opts);
}
