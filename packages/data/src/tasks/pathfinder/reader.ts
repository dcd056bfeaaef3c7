import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DataFormatError, DataSourceError } from '../../errors.js';
import { PngError } from '../../png/errors.js';
import { decodePngGray } from '../../png/decode.js';
import { SplitDataBuilder } from '../../split-builder.js';
import type { ReadOptions, ReadReport, SplitData, SplitName, SplitSink } from '../../types.js';
import { parsePathfinderMetadataLine, type PathfinderMetadata } from './metadata.js';
import { pathfinderDifficultySplits, pathfinderExampleKey, pathfinderSplitRange, tfdsRecordOrder } from './order.js';

/** Which release folder a Pathfinder task reads: e.g. pathfinder32/curv_contour_length_14, 32x32. */
export interface PathfinderLayout {
  task: string;
  /** The resolution folder in the release root, e.g. `pathfinder32`. */
  folder: string;
  /** The difficulty folder in it, e.g. `curv_contour_length_14`. */
  difficulty: string;
  /** Images are side x side pixels. */
  side: number;
}

export const PATHFINDER_DIFFICULTY = 'curv_contour_length_14';
export const pathfinderLayout: PathfinderLayout = { task: 'pathfinder', folder: 'pathfinder32', difficulty: PATHFINDER_DIFFICULTY, side: 32 };
export const pathxLayout: PathfinderLayout = { task: 'pathx', folder: 'pathfinder128', difficulty: PATHFINDER_DIFFICULTY, side: 128 };

/**
 * Token id = grey level + 1 (ids 1..256, vocabulary 257), as for the image task, so that 0 stays
 * the padding id and a black pixel is never masked out as padding.
 */
export const PATHFINDER_TOKEN_OFFSET = 1;
export const PATHFINDER_VOCAB_SIZE = 257;
export const PATHFINDER_VOCAB_VERSION = 'gray-plus-one-v1';

const METADATA_DIR = 'metadata';
const METADATA_SUFFIX = '.npy';
const CONCURRENT_READS = 64;

/** A Pathfinder split: `emptyImages` counts zero-byte images dropped as LRA drops them. */
export interface PathfinderSplitData extends SplitData {
  emptyImages: number;
}

/** One metadata line: where it is, and what it says (or why it is malformed). */
export interface PathfinderEntry {
  file: string;
  line: number;
  key: string;
  meta: PathfinderMetadata | string;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The difficulty folder (holding metadata/ and imgs/) when `source` is the release root, the
 * resolution folder (pathfinder32/) or the difficulty folder itself; the error lists what was tried.
 */
export async function findPathfinderDifficultyDir(source: string, layout: PathfinderLayout): Promise<string> {
  const root = resolve(source);
  if (!(await isDirectory(root))) {
    throw new DataSourceError(`${layout.task}: source folder ${root} does not exist or is not a folder`);
  }
  const candidates = [join(root, layout.folder, layout.difficulty), join(root, layout.difficulty), root];
  for (const dir of candidates) if (await isDirectory(join(dir, METADATA_DIR))) return dir;
  throw new DataSourceError(
    `${layout.task}: no ${METADATA_DIR}/ folder found; looked for ${candidates.map((d) => join(d, METADATA_DIR)).join(', ')}`,
  );
}

/** Metadata files in numeric batch order (0.npy, 1.npy, ..., 10.npy); other names after, by name. */
export function sortMetadataFiles(names: readonly string[]): string[] {
  const batch = (name: string): number => {
    const stem = name.slice(0, -METADATA_SUFFIX.length);
    return /^\d+$/.test(stem) ? Number(stem) : Number.POSITIVE_INFINITY;
  };
  return names
    .filter((name) => name.endsWith(METADATA_SUFFIX))
    .sort((a, b) => batch(a) - batch(b) || (a < b ? -1 : a > b ? 1 : 0));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Every metadata line of a difficulty folder, files in numeric batch order, lines in file order.
 * A line is `\n`-terminated (a `\r` before it is dropped); a last line without a terminator is
 * read too (LRA's split('\n')[:-1] would silently drop it).
 */
export async function readPathfinderMetadata(difficultyDir: string): Promise<PathfinderEntry[]> {
  const dir = join(difficultyDir, METADATA_DIR);
  const files = sortMetadataFiles(await readdir(dir));
  if (files.length === 0) throw new DataSourceError(`no metadata files (*${METADATA_SUFFIX}) in ${dir}`);
  const entries: PathfinderEntry[] = [];
  for (const name of files) {
    const file = join(dir, name);
    const bytes = await readFile(file);
    let start = 0;
    let line = 0;
    while (start < bytes.length) {
      let end = bytes.indexOf(10, start);
      const next = end < 0 ? bytes.length : end + 1;
      if (end < 0) end = bytes.length;
      if (end > start && bytes[end - 1] === 13) end--;
      line++;
      let text: string | null;
      try {
        text = utf8.decode(bytes.subarray(start, end));
      } catch {
        text = null;
      }
      const meta = text === null ? 'not valid UTF-8' : parsePathfinderMetadataLine(text);
      const fields = (text ?? '').split(' ');
      entries.push({ file, line, key: pathfinderExampleKey(fields[0] ?? '', fields[1] ?? '', line), meta });
      start = next;
    }
  }
  if (entries.length === 0) throw new DataSourceError(`the metadata files in ${dir} hold no lines`);
  return entries;
}

/** What reading one image gave: its bytes, or that it is missing. */
async function readImage(path: string): Promise<Uint8Array | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Reads one split of a Pathfinder difficulty folder as LRA does: every metadata line (files in
 * numeric batch order) is one record; records are ordered as TFDS wrote them (MD5 of the
 * difficulty's split name and the record key); train, validation and test are the first 80%,
 * the next 10% and the last 10% of that order; zero-byte images are then dropped and counted
 * in `emptyImages`. Tokens are the grey levels + 1, row-major. A malformed line, a missing
 * image, one that does not decode or has the wrong size throws a DataFormatError naming the
 * metadata file and line (with `skipBad`: skipped and counted).
 */
export async function readPathfinderSplit(
  layout: PathfinderLayout,
  source: string,
  split: SplitName,
  opts: ReadOptions = {},
): Promise<PathfinderSplitData> {
  const builder = new SplitDataBuilder(layout.task, split, opts.seqLen ?? layout.side * layout.side);
  const report = await readPathfinderSplitInto(layout, source, split, builder, opts);
  return { ...builder.finish(report), emptyImages: report.dropped };
}

/** `readPathfinderSplit` row by row into `sink`; `dropped` counts the empty images. */
export async function readPathfinderSplitInto(
  layout: PathfinderLayout,
  source: string,
  split: SplitName,
  builder: SplitSink,
  opts: ReadOptions = {},
): Promise<ReadReport & { dropped: number }> {
  const difficultyDir = await findPathfinderDifficultyDir(source, layout);
  const entries = await readPathfinderMetadata(difficultyDir);
  const salt = pathfinderDifficultySplits[layout.difficulty] ?? layout.difficulty;
  const order = tfdsRecordOrder(
    entries.map((e) => e.key),
    salt,
  );
  const [start, end] = pathfinderSplitRange(split, entries.length);
  const picked = Array.from(order.subarray(start, end), (i) => entries[i]!);

  const pixels = layout.side * layout.side;
  const tokens = new Int32Array(pixels);
  const sources = new Set<string>(entries.map((e) => e.file));
  let emptyImages = 0;

  const reject = (entry: PathfinderEntry, reason: string): void => {
    if (!opts.skipBad) throw new DataFormatError(entry.file, entry.line, reason);
    builder.skip();
  };
  const pathOf = (meta: PathfinderMetadata): string => join(difficultyDir, meta.imageDir, meta.imageFile);
  const load = (k: number): Promise<Uint8Array | null> | null => {
    const meta = picked[k]?.meta;
    if (meta === undefined || typeof meta === 'string') return null;
    const read = readImage(pathOf(meta));
    // A read still in flight when an earlier row throws must not become an unhandled rejection.
    read.catch(() => undefined);
    return read;
  };

  // Reads run ahead of decoding, CONCURRENT_READS at a time; results are used in order.
  const pending: (Promise<Uint8Array | null> | null)[] = [];
  for (let k = 0; k < Math.min(CONCURRENT_READS, picked.length); k++) pending.push(load(k));
  for (let k = 0; k < picked.length; k++) {
    const read = pending[k];
    pending[k] = null;
    if (k + CONCURRENT_READS < picked.length) pending.push(load(k + CONCURRENT_READS));
    const entry = picked[k]!;
    const meta = entry.meta;
    if (typeof meta === 'string') {
      reject(entry, meta);
      continue;
    }
    const name = `${meta.imageDir}/${meta.imageFile}`;
    const bytes = await read!;
    if (bytes === null) {
      reject(entry, `image ${name} does not exist (looked for ${pathOf(meta)})`);
      continue;
    }
    sources.add(pathOf(meta));
    if (bytes.length === 0) {
      emptyImages++;
      continue;
    }
    let image;
    try {
      image = decodePngGray(bytes);
    } catch (err) {
      if (!(err instanceof PngError)) throw err;
      reject(entry, `image ${name} does not decode: ${err.reason}`);
      continue;
    }
    if (image.width !== layout.side || image.height !== layout.side) {
      reject(entry, `image ${name} is ${image.width}x${image.height}, expected ${layout.side}x${layout.side}`);
      continue;
    }
    for (let i = 0; i < pixels; i++) tokens[i] = image.pixels[i]! + PATHFINDER_TOKEN_OFFSET;
    await builder.add(tokens, meta.label);
    if ((k + 1) % 1024 === 0) opts.onProgress?.(k + 1, picked.length);
  }
  opts.onProgress?.(picked.length, picked.length);
  return { dropped: emptyImages, sources: [...sources] };
}
