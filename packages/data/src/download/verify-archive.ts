import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ArchiveError } from './errors.js';
import { type ArchiveFormat, sniffArchiveFormat } from './extract-tar-gz.js';
import { TarFormatError, readTar } from './tar-reader.js';

export interface VerifiedArchive {
  format: ArchiveFormat;
  members: number;
}

/**
 * Reads a .tar.gz (or .tar) to its very end without writing anything: every tar header and body,
 * then the rest of the gzip stream, whose trailer carries the CRC and length of the whole. For an
 * archive with no published checksum this is the only proof that a download is whole, so it runs
 * before any sha256 of it is recorded as the reference. Throws an ArchiveError naming the file.
 */
export async function verifyArchive(path: string): Promise<VerifiedArchive> {
  const format = await sniffArchiveFormat(path);
  const input = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream: AsyncIterable<Uint8Array> = format === 'tar.gz' ? pipeline(input, createGunzip(), () => undefined) : input;
  const iterator = stream[Symbol.asyncIterator]();
  // Handed to the tar reader without `return`, so its stop at the end-of-archive blocks leaves the
  // stream open for the drain below (which reaches the gzip trailer).
  const chunks: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => ({ next: () => iterator.next() }) };
  try {
    const { entries } = await readTar(chunks, async () => undefined);
    for (let r = await iterator.next(); !r.done; r = await iterator.next());
    return { format, members: entries };
  } catch (err) {
    input.destroy();
    if (err instanceof TarFormatError) throw new ArchiveError(path, `not a valid tar stream ${err.message}`);
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_')) throw new ArchiveError(path, `gzip stream is corrupt or cut short (${(err as Error).message})`);
    throw err;
  }
}
