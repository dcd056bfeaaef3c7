import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DataFormatError, DataSourceError } from '../../errors.js';
import { SplitDataBuilder, collectSplit } from '../../split-builder.js';
import type { ReadOptions, ReadReport, SplitData, SplitName, SplitSink } from '../../types.js';
import { byteTokens, findInvalidUtf8, stripAsciiWhitespace } from '../bytes.js';

export const TEXT_TASK_FOLDERS: readonly string[] = ['aclImdb'];
/** The paper's length (the released config says 1000; presets pass that as a seqLen override). */
export const TEXT_SEQ_LEN = 4000;
export const TEXT_CODE_SEQ_LEN = 1000;

/** IMDB has no validation split: LRA validates on the test split, and tests on it too. */
export function imdbFolderOf(split: SplitName): 'train' | 'test' {
  return split === 'train' ? 'train' : 'test';
}

/** Class ids as tfds' imdb_reviews names them: neg = 0, pos = 1. */
export const IMDB_CLASSES = ['neg', 'pos'] as const;

const REVIEW_NAME = /^(\d+)_(\d+)\.txt$/;
/** aclImdb's README: negative reviews are rated 1-4, positive ones 7-10. */
const RATINGS: Record<(typeof IMDB_CLASSES)[number], [number, number]> = { neg: [1, 4], pos: [7, 10] };
const CONCURRENT_READS = 64;

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The aclImdb `train/` or `test/` folder (holding pos/ and neg/) under `source`, which may be the
 * folder that holds aclImdb/ or aclImdb/ itself. The error lists the folders it looked for.
 */
export async function findImdbSplitDir(source: string, split: SplitName): Promise<string> {
  const root = resolve(source);
  const what = `IMDB ${split} split`;
  if (!(await isDirectory(root))) throw new DataSourceError(`${what}: source folder ${root} does not exist or is not a folder`);
  const folder = imdbFolderOf(split);
  const candidates = [root, ...TEXT_TASK_FOLDERS.map((f) => join(root, f))].map((dir) => join(dir, folder));
  for (const dir of candidates) {
    if ((await isDirectory(join(dir, 'pos'))) && (await isDirectory(join(dir, 'neg')))) return dir;
  }
  throw new DataSourceError(
    `${what}: no ${folder}/pos and ${folder}/neg folders found; looked in ${candidates.join(' and ')}`,
  );
}

interface ReviewFile {
  path: string;
  name: string;
  label: number;
  /** `<id>` of `<id>_<rating>.txt`, for ordering; -1 for a name that does not parse. */
  id: number;
}

/** Review files of one class, ordered by numeric id (then name): the same on every file system. */
async function listReviews(dir: string, label: number): Promise<ReviewFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => {
      const match = REVIEW_NAME.exec(e.name);
      return { path: join(dir, e.name), name: e.name, label, id: match === null ? -1 : Number(match[1]) };
    });
  return files.sort((a, b) => a.id - b.id || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** neg[0], pos[0], neg[1], pos[1], ...: every prefix of the split is (nearly) balanced. */
function interleave<T>(a: T[], b: T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) out.push(a[i]!);
    if (i < b.length) out.push(b[i]!);
  }
  return out;
}

/** Why a review's file name or rating is wrong for its folder, or null. */
function nameProblem(file: ReviewFile): string | null {
  const match = REVIEW_NAME.exec(file.name);
  if (match === null) return `file name ${JSON.stringify(file.name)} is not <id>_<rating>.txt`;
  const rating = Number(match[2]);
  const cls = IMDB_CLASSES[file.label]!;
  const [lo, hi] = RATINGS[cls];
  if (rating < lo || rating > hi) return `rating ${rating} in ${cls}/, where ratings are ${lo}-${hi}`;
  return null;
}

/**
 * Reads one IMDB split from the aclImdb layout as LRA does: each review's bytes, stripped of
 * surrounding ASCII whitespace (as tfds does), become ids byte + 1, truncated to seqLen (4000
 * unless overridden); label neg = 0, pos = 1. A review that is not valid UTF-8, is empty, or whose
 * name or rating does not fit its folder throws a DataFormatError (line: the line of the problem
 * in the review, 1 for the name), or with `skipBad` is skipped and counted.
 */
export async function readTextSplit(source: string, split: SplitName, opts: ReadOptions = {}): Promise<SplitData> {
  return collectSplit(new SplitDataBuilder('text', split, opts.seqLen ?? TEXT_SEQ_LEN), (sink) => readTextSplitInto(source, split, sink, opts));
}

/** `readTextSplit` row by row into `sink`. */
export async function readTextSplitInto(source: string, split: SplitName, builder: SplitSink, opts: ReadOptions = {}): Promise<ReadReport> {
  const dir = await findImdbSplitDir(source, split);
  const [neg, pos] = await Promise.all(IMDB_CLASSES.map((cls, label) => listReviews(join(dir, cls), label)));
  const files = interleave(neg!, pos!);
  if (files.length === 0) throw new DataSourceError(`IMDB ${split} split: ${dir}/pos and ${dir}/neg hold no reviews`);

  const seqLen = builder.seqLen;
  const reject = (file: string, line: number, reason: string): void => {
    if (!opts.skipBad) throw new DataFormatError(file, line, reason);
    builder.skip();
  };
  const sources: string[] = [];
  let bytesRead = 0;
  for (let start = 0; start < files.length; start += CONCURRENT_READS) {
    const chunk = files.slice(start, start + CONCURRENT_READS);
    const contents = await Promise.all(chunk.map((f) => readFile(f.path)));
    for (let k = 0; k < chunk.length; k++) {
      const file = chunk[k]!;
      const raw = contents[k]!;
      bytesRead += raw.length;
      sources.push(file.path);
      const bad = nameProblem(file);
      if (bad !== null) {
        reject(file.path, 1, bad);
        continue;
      }
      const problem = findInvalidUtf8(raw);
      if (problem !== null) {
        reject(file.path, problem.line, `invalid UTF-8 at byte ${problem.offset}: ${problem.reason}`);
        continue;
      }
      const text = stripAsciiWhitespace(raw);
      if (text.length === 0) {
        reject(file.path, 1, 'empty review');
        continue;
      }
      await builder.add(byteTokens(text, seqLen), file.label);
    }
    opts.onProgress?.(bytesRead);
  }
  return { sources };
}
