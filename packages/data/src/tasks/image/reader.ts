import { readFile } from 'node:fs/promises';
import { DataFormatError, DataSourceError } from '../../errors.js';
import { SplitDataBuilder, collectSplit } from '../../split-builder.js';
import type { ReadOptions, ReadReport, SplitData, SplitName, SplitSink } from '../../types.js';
import { findSourceFile } from '../source-files.js';
import { tfdsRecordOrder } from '../tfds-order.js';
import { grayPlanar } from './grayscale.js';

export const IMAGE_TASK_FOLDERS: readonly string[] = ['cifar-10-batches-bin'];
export const CIFAR_SIDE = 32;
export const IMAGE_SEQ_LEN = CIFAR_SIDE * CIFAR_SIDE;
/** One record of the binary version: a label byte, then 1024 R, 1024 G and 1024 B bytes. */
export const CIFAR_RECORD_BYTES = 1 + 3 * IMAGE_SEQ_LEN;
export const CIFAR_TRAIN_FILES: readonly string[] = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const CIFAR_TEST_FILE = 'test_batch.bin';
/** LRA's train split is tfds' `train[:90%]`, validation `train[90%:]`. */
export const CIFAR_TRAIN_PERCENT = 90;
/** The TFDS split name that salts the hash ordering the training records. */
const CIFAR_TFDS_TRAIN_SPLIT = 'train';
/**
 * Token id = grey level + 1, so that 0 stays the padding id: a black pixel is a real input, and
 * the model's mask (tokens != 0) must not drop it. Ids run 1..256, the vocabulary has 257.
 */
export const IMAGE_TOKEN_OFFSET = 1;

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** How many of `total` records go to training: tfds' closest-boundary rule for `train[:90%]`. */
export function cifarTrainCount(total: number): number {
  return roundHalfEven((CIFAR_TRAIN_PERCENT * total) / 100);
}

/** One CIFAR binary file's images as token ids; records it rejects with skipBad are counted. */
interface CifarFile {
  tokens: Int32Array;
  labels: Int32Array;
  count: number;
  skipped: number;
  /**
   * For each record rejected with skipBad: how many good records of the file come before it, so
   * that it is counted in the split those neighbours go to (train or val), and only there.
   */
  skippedAt: number[];
}

/**
 * Parses one CIFAR-10 binary file. A size that is not a multiple of 3073 bytes or a label byte
 * above 9 throws a DataFormatError naming the record (1-based, in the `line` field); with
 * `skipBad` the record is dropped and counted.
 */
export function parseCifarFile(path: string, bytes: Uint8Array, skipBad = false): CifarFile {
  const whole = Math.floor(bytes.length / CIFAR_RECORD_BYTES);
  const trailing = bytes.length - whole * CIFAR_RECORD_BYTES;
  const skippedAt: number[] = [];
  if (bytes.length === 0) throw new DataFormatError(path, 1, 'empty file: expected records of 3073 bytes');
  if (trailing !== 0) {
    const reason =
      `size ${bytes.length} is not a multiple of ${CIFAR_RECORD_BYTES}: record ${whole + 1} ` +
      `(from byte ${whole * CIFAR_RECORD_BYTES}) holds ${trailing} of its ${CIFAR_RECORD_BYTES} bytes`;
    if (!skipBad) throw new DataFormatError(path, whole + 1, reason);
  }
  const tokens = new Int32Array(whole * IMAGE_SEQ_LEN);
  const labels = new Int32Array(whole);
  let count = 0;
  for (let r = 0; r < whole; r++) {
    const at = r * CIFAR_RECORD_BYTES;
    const label = bytes[at]!;
    if (label > 9) {
      if (!skipBad) throw new DataFormatError(path, r + 1, `label ${label} is outside 0-9 (record at byte ${at})`);
      skippedAt.push(count);
      continue;
    }
    grayPlanar(bytes.subarray(at + 1, at + CIFAR_RECORD_BYTES), tokens.subarray(count * IMAGE_SEQ_LEN), IMAGE_TOKEN_OFFSET);
    labels[count++] = label;
  }
  // The cut-short last record comes after every good one.
  if (trailing !== 0) skippedAt.push(count);
  return { tokens: tokens.subarray(0, count * IMAGE_SEQ_LEN), labels: labels.subarray(0, count), count, skipped: skippedAt.length, skippedAt };
}

/**
 * Reads one split of CIFAR-10 grey as LRA does: train = TFDS's `train[:90%]` (45,000 records),
 * val = `train[90%:]` (5,000), both of the records of data_batch_1..5.bin in TFDS's order (see
 * cifarTfdsOrder), not file order; test = test_batch.bin in file order (its order changes no
 * accuracy). `source` may be the folder holding cifar-10-batches-bin/ or that folder itself.
 */
export async function readImageSplit(source: string, split: SplitName, opts: ReadOptions = {}): Promise<SplitData> {
  return collectSplit(new SplitDataBuilder('image', split, opts.seqLen ?? IMAGE_SEQ_LEN), (sink) => readImageSplitInto(source, split, sink, opts));
}

/**
 * TFDS's cifar10 builder keys the training records by their number i (from 0, across
 * data_batch_1..5 in turn) and writes them in ascending md5('train' + i) order, which percent
 * slices then cut. Returns the permutation: `order[k]` is the number of the k-th record.
 */
export function cifarTfdsOrder(records: number): Int32Array {
  return tfdsRecordOrder(Array.from({ length: records }, (_, i) => String(i)), CIFAR_TFDS_TRAIN_SPLIT);
}

/**
 * Every record place of the files in turn: the index of a good record in its file, or -1 for one
 * rejected with skipBad (which keeps its place, so the records after it keep their numbers).
 */
function recordPlaces(files: readonly CifarFile[]): Array<{ file: CifarFile; row: number }> {
  const places: Array<{ file: CifarFile; row: number }> = [];
  for (const file of files) {
    let skipped = 0;
    for (let r = 0; r <= file.count; r++) {
      // skippedAt holds, for each rejected record, how many good ones came before it.
      while (skipped < file.skippedAt.length && file.skippedAt[skipped] === r) {
        places.push({ file, row: -1 });
        skipped++;
      }
      if (r < file.count) places.push({ file, row: r });
    }
  }
  return places;
}

/** `readImageSplit` row by row into `sink`. */
export async function readImageSplitInto(source: string, split: SplitName, builder: SplitSink, opts: ReadOptions = {}): Promise<ReadReport> {
  const names = split === 'test' ? [CIFAR_TEST_FILE] : CIFAR_TRAIN_FILES;
  const paths: string[] = [];
  for (const name of names) paths.push(await findSourceFile(source, IMAGE_TASK_FOLDERS, name, `CIFAR-10 ${split} split`));

  const files: CifarFile[] = [];
  let bytesRead = 0;
  for (const path of paths) {
    const bytes = await readFile(path);
    bytesRead += bytes.length;
    files.push(parseCifarFile(path, bytes, opts.skipBad ?? false));
    opts.onProgress?.(bytesRead);
  }
  const leaveNone = (records: number): DataSourceError =>
    new DataSourceError(`CIFAR-10 ${split} split: ${records} records in ${paths.join(', ')} leave none for ${split}`);
  if (files.every((f) => f.count === 0)) throw leaveNone(0);
  if (split === 'test') {
    for (const file of files) {
      for (let r = 0; r < file.count; r++) await builder.add(file.tokens.subarray(r * IMAGE_SEQ_LEN, (r + 1) * IMAGE_SEQ_LEN), file.labels[r]!);
      for (let k = 0; k < file.skippedAt.length; k++) builder.skip();
    }
    return { sources: paths };
  }
  // train and val cut one order of the same records; a rejected record counts, once, in the split
  // its place in that order gives it.
  const places = recordPlaces(files);
  const order = cifarTfdsOrder(places.length);
  const cut = cifarTrainCount(places.length);
  const [from, to] = split === 'train' ? [0, cut] : [cut, places.length];
  if (to <= from) throw leaveNone(places.length);
  for (let k = from; k < to; k++) {
    const { file, row } = places[order[k]!]!;
    if (row < 0) builder.skip();
    else await builder.add(file.tokens.subarray(row * IMAGE_SEQ_LEN, (row + 1) * IMAGE_SEQ_LEN), file.labels[row]!);
  }
  return { sources: paths };
}
