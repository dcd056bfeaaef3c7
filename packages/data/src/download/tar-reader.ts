import { ByteReader } from './byte-reader.js';

export const TAR_BLOCK = 512;

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  /** The member's path as stored (after GNU long names and pax `path` are applied). */
  path: string;
  type: TarEntryType;
  /** The raw type flag, for messages about entries of type `other`. */
  typeFlag: string;
  size: number;
  mode: number;
  linkPath: string;
  /** Byte offset of the entry's header in the (uncompressed) tar stream. */
  offset: number;
}

/** A malformed tar stream; `offset` is the byte position in the uncompressed stream. */
export class TarFormatError extends Error {
  override readonly name = 'TarFormatError';
  constructor(
    readonly offset: number,
    reason: string,
  ) {
    super(`at byte ${offset}: ${reason}`);
  }
}

function cString(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

/** Octal, space- or NUL-terminated; or GNU base-256 (high bit set) for values beyond 8 GiB. */
function numericField(block: Buffer, start: number, length: number, what: string, offset: number): number {
  const field = block.subarray(start, start + length);
  if (((field[0] ?? 0) & 0x80) !== 0) {
    if (((field[0] ?? 0) & 0x40) !== 0) throw new TarFormatError(offset, `negative ${what}`);
    let value = (field[0] ?? 0) & 0x3f;
    for (let i = 1; i < field.length; i++) value = value * 256 + (field[i] ?? 0);
    if (!Number.isSafeInteger(value)) throw new TarFormatError(offset, `${what} too large`);
    return value;
  }
  const text = cString(block, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(offset, `${what} field is not an octal number: ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

function checksumOf(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
  return sum;
}

function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** pax records: `<length> <key>=<value>\n`, the length counting the whole record. */
function parsePaxRecords(data: Buffer, offset: number): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    if (data[at] === 0) break;
    const space = data.indexOf(0x20, at);
    const length = space === -1 ? NaN : Number(data.subarray(at, space).toString('ascii'));
    if (!Number.isInteger(length) || length <= 0 || at + length > data.length) {
      throw new TarFormatError(offset, 'malformed pax extended header record');
    }
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq === -1) throw new TarFormatError(offset, 'pax record without "="');
    out.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return out;
}

function entryType(flag: string): TarEntryType {
  switch (flag) {
    case '0':
    case '\0':
    case '':
    case '7': // contiguous file: an ordinary file everywhere that matters
      return 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    default:
      return 'other';
  }
}

/** Body reader handed to the visitor; whatever it leaves unread is skipped. */
export interface TarBody {
  /** The entry's bytes in chunks, as they are decompressed. */
  chunks(): AsyncIterable<Buffer>;
}

/**
 * Reads a tar stream (POSIX ustar, GNU long names `L`/`K`, pax `x` and global `g` headers) and
 * calls `visit` for every member in order, with its body as a stream; bodies are never held in
 * memory whole. Headers are checksum-verified; a stream that ends inside a header or a body is
 * an error. Returns when the end-of-archive marker (or a clean end of stream) is reached.
 */
export async function readTar(
  source: AsyncIterable<Uint8Array>,
  visit: (entry: TarEntry, body: TarBody) => Promise<void>,
): Promise<{ entries: number; bytes: number }> {
  const reader = new ByteReader(source);
  let longName: string | null = null;
  let longLink: string | null = null;
  let pax = new Map<string, string>();
  const globalPax = new Map<string, string>();
  let entries = 0;

  const readBody = async (size: number, offset: number, what: string): Promise<Buffer> => {
    const data = await reader.read(size);
    if (data.length < size) throw new TarFormatError(offset, `archive ends inside ${what} (${data.length} of ${size} bytes)`);
    await skipPadding(size, offset, what);
    return data;
  };
  const skipPadding = async (size: number, offset: number, what: string): Promise<void> => {
    const padding = (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
    if ((await reader.skip(padding)) < padding) throw new TarFormatError(offset, `archive ends inside the padding of ${what}`);
  };

  for (;;) {
    const offset = reader.position;
    const block = await reader.read(TAR_BLOCK);
    if (block.length === 0) break; // some writers omit the end-of-archive blocks
    if (block.length < TAR_BLOCK) throw new TarFormatError(offset, `archive ends inside a header (${block.length} of ${TAR_BLOCK} bytes)`);
    if (isZeroBlock(block)) break;

    const stored = numericField(block, 148, 8, 'checksum', offset);
    if (stored !== checksumOf(block)) throw new TarFormatError(offset, 'header checksum mismatch (not a tar archive, or a corrupt one)');

    const flag = String.fromCharCode(block[156] ?? 0);
    let size = numericField(block, 124, 12, 'size', offset);
    const magic = block.subarray(257, 263).toString('latin1');

    if (flag === 'L' || flag === 'K') {
      const data = await readBody(size, offset, 'a GNU long name');
      const end = data.indexOf(0);
      const name = data.subarray(0, end === -1 ? data.length : end).toString('utf8');
      if (flag === 'L') longName = name;
      else longLink = name;
      continue;
    }
    if (flag === 'x' || flag === 'g') {
      const records = parsePaxRecords(await readBody(size, offset, 'a pax header'), offset);
      if (flag === 'g') for (const [k, v] of records) globalPax.set(k, v);
      else pax = records;
      continue;
    }

    let path = cString(block, 0, 100);
    // Only POSIX ustar has the prefix field; GNU tar ("ustar  ") keeps other data there.
    if (magic === 'ustar\0') {
      const prefix = cString(block, 345, 155);
      if (prefix !== '') path = `${prefix}/${path}`;
    }
    let linkPath = cString(block, 157, 100);
    const attr = (key: string): string | undefined => pax.get(key) ?? globalPax.get(key);
    if (longName !== null) path = longName;
    if (longLink !== null) linkPath = longLink;
    path = attr('path') ?? path;
    linkPath = attr('linkpath') ?? linkPath;
    const paxSize = attr('size');
    if (paxSize !== undefined) {
      if (!/^\d+$/.test(paxSize)) throw new TarFormatError(offset, `pax size is not a number: ${paxSize}`);
      size = Number(paxSize);
    }
    longName = null;
    longLink = null;
    pax = new Map();

    const type = entryType(flag);
    // Links and directories carry no data even when a writer fills in a size.
    const bodySize = type === 'file' || type === 'other' ? size : 0;
    const entry: TarEntry = { path, type, typeFlag: flag, size: bodySize, mode: numericField(block, 100, 8, 'mode', offset), linkPath, offset };
    let remaining = bodySize;
    const body: TarBody = {
      chunks: async function* () {
        while (remaining > 0) {
          const part = await reader.readSome(remaining);
          if (part.length === 0) throw new TarFormatError(offset, `archive ends inside ${path} (${bodySize - remaining} of ${bodySize} bytes)`);
          remaining -= part.length;
          yield part;
        }
      },
    };
    entries++;
    await visit(entry, body);
    if (remaining > 0) {
      const skipped = await reader.skip(remaining);
      if (skipped < remaining) throw new TarFormatError(offset, `archive ends inside ${path} (${bodySize - remaining + skipped} of ${bodySize} bytes)`);
      remaining = 0;
    }
    await skipPadding(bodySize, offset, path);
  }
  const end = reader.position;
  // Read what follows the end marker (the zero padding of the last record) so that the
  // decompressor reaches its trailer and verifies the archive's CRC and length.
  while ((await reader.readSome(1 << 20)).length > 0);
  return { entries, bytes: end };
}
