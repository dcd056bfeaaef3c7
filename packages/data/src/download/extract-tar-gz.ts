import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { DownloadLog } from './download-file.js';
import { ArchiveError } from './errors.js';
import { memberMatcher, normalizeMemberPath } from './member-paths.js';
import { TarFormatError, readTar } from './tar-reader.js';

export type ArchiveFormat = 'tar.gz' | 'tar';

export interface ExtractTarGzOptions {
  /** A .tar.gz (whatever its name says: the format is found from its first bytes) or a plain .tar. */
  archive: string;
  /** Receives the selected members under their archive paths; replaced whole, atomically. */
  destDir: string;
  /** Globs of the members to extract (see member-paths.ts); every member when absent. */
  members?: readonly string[] | undefined;
  /** Bytes of the archive file read so far, of its size. */
  onProgress?: ((doneBytes: number, totalBytes: number) => void) | undefined;
  log?: DownloadLog | undefined;
}

export interface ExtractResult {
  destDir: string;
  format: ArchiveFormat;
  /** Members in the archive, of every kind. */
  members: number;
  /** Files written. */
  files: number;
  /** Bytes of file content written. */
  bytes: number;
  /** Symbolic links and special files among the selected members: never created. */
  skipped: number;
  /** Up to 10 paths of members that no pattern selected (to show what an archive holds). */
  unmatchedExamples: string[];
}

const GZIP_MAGIC = [0x1f, 0x8b];
const TEMP_DIR_PATTERN = /\.tmp-(\d+)-[0-9a-f]{8}$/;
const UNMATCHED_EXAMPLES = 10;
// Small members (Pathfinder PNGs, IMDB reviews: hundreds of thousands of them) are written
// several at a time: one at a time, the file system's latency per file, not the bytes, is the cost.
const SMALL_FILE_BYTES = 1 << 20;
const WRITES_IN_FLIGHT = 16;

/** File writes that run concurrently, at most `limit` at once; the first failure is rethrown. */
class BoundedWrites {
  private readonly pending = new Set<Promise<void>>();
  private failure: unknown = null;

  constructor(private readonly limit: number) {}

  /** Starts tracking `write`; waits while `limit` writes are in flight. */
  async add(write: Promise<void>): Promise<void> {
    const tracked: Promise<void> = write.then(
      () => {
        this.pending.delete(tracked);
      },
      (err: unknown) => {
        this.pending.delete(tracked);
        this.failure ??= err;
      },
    );
    this.pending.add(tracked);
    if (this.pending.size >= this.limit) await Promise.race(this.pending);
    this.rethrow();
  }

  /** Waits for every write; rethrows the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    this.rethrow();
  }

  /** Waits for every write, ignoring failures (before cleaning up after another error). */
  async settle(): Promise<void> {
    await Promise.all(this.pending);
  }

  private rethrow(): void {
    if (this.failure !== null) throw this.failure;
  }
}

/** gzip by its magic bytes `1f 8b`, tar by `ustar` at byte 257; anything else is an error. */
export async function sniffArchiveFormat(archive: string): Promise<ArchiveFormat> {
  const handle = await open(archive, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, 512, 0);
    if (bytesRead >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) return 'tar.gz';
    if (bytesRead >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
    const first = [...head.subarray(0, Math.min(bytesRead, 4))].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new ArchiveError(archive, `neither a gzip stream (starts 1f 8b) nor a tar archive ("ustar" at byte 257); it starts ${first === '' ? '(empty file)' : first}`);
  } finally {
    await handle.close();
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `<destDir>.tmp-<pid>-<hex>` folders that killed extractions left behind. */
async function removeStaleTempDirs(destDir: string): Promise<void> {
  const parent = dirname(destDir);
  const prefix = `${basename(destDir)}.tmp-`;
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = TEMP_DIR_PATTERN.exec(name);
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || processIsAlive(pid)) continue;
    await rm(join(parent, name), { recursive: true, force: true });
  }
}

/**
 * Extracts the selected members of a tar.gz (or tar) archive, streaming: the archive is read
 * once through node:zlib and never held in memory. Member paths are made safe first (an
 * absolute path, a drive letter, a backslash or a `..` segment is an error naming the member);
 * symbolic links are never created; hard links are copies of the member they name. Everything
 * is written into a temporary folder beside `destDir` that replaces `destDir` only when the
 * whole archive has been read and verified (tar header checksums, gzip CRC and length).
 */
export async function extractTarGz(opts: ExtractTarGzOptions): Promise<ExtractResult> {
  const { archive, destDir } = opts;
  const format = await sniffArchiveFormat(archive);
  const total = (await stat(archive)).size;
  const selected = memberMatcher(opts.members);
  await mkdir(dirname(destDir), { recursive: true });
  await removeStaleTempDirs(destDir);
  const tempDir = `${destDir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(tempDir);

  const input = createReadStream(archive, { highWaterMark: 1 << 20 });
  async function* counted(): AsyncGenerator<Buffer> {
    let read = 0;
    for await (const chunk of input) {
      read += (chunk as Buffer).length;
      opts.onProgress?.(read, total);
      yield chunk as Buffer;
    }
  }
  const stream: AsyncIterable<Uint8Array> = format === 'tar.gz' ? pipeline(counted(), createGunzip(), () => undefined) : counted();

  const made = new Set<string>([tempDir]);
  const ensureDir = async (dir: string): Promise<void> => {
    if (made.has(dir)) return;
    await mkdir(dir, { recursive: true });
    made.add(dir);
  };
  const extracted = new Set<string>();
  const writes = new BoundedWrites(WRITES_IN_FLIGHT);
  const result: ExtractResult = { destDir, format, members: 0, files: 0, bytes: 0, skipped: 0, unmatchedExamples: [] };

  try {
    const { entries } = await readTar(stream, async (entry, body) => {
      let path: string | null;
      try {
        path = normalizeMemberPath(entry.path);
      } catch (err) {
        throw new ArchiveError(archive, `unsafe member path (${(err as Error).message}); refusing to extract`, entry.path);
      }
      if (path === null) return;
      if (!selected(path)) {
        if (result.unmatchedExamples.length < UNMATCHED_EXAMPLES) result.unmatchedExamples.push(path);
        return;
      }
      const target = join(tempDir, path);
      const rel = relative(tempDir, target);
      if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
        throw new ArchiveError(archive, 'member path resolves outside the destination; refusing to extract', entry.path);
      }
      switch (entry.type) {
        case 'directory':
          await ensureDir(target);
          return;
        case 'file': {
          await ensureDir(dirname(target));
          // A later member of the same path replaces the earlier one (tar semantics): in order.
          if (extracted.has(path)) await writes.drain();
          if (entry.size <= SMALL_FILE_BYTES) {
            const parts: Buffer[] = [];
            for await (const chunk of body.chunks()) parts.push(chunk);
            await writes.add(writeFile(target, parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)));
          } else {
            const handle = await open(target, 'w');
            try {
              for await (const chunk of body.chunks()) await handle.write(chunk);
            } finally {
              await handle.close();
            }
          }
          extracted.add(path);
          result.files++;
          result.bytes += entry.size;
          return;
        }
        case 'hardlink': {
          let linked: string | null;
          try {
            linked = normalizeMemberPath(entry.linkPath);
          } catch (err) {
            throw new ArchiveError(archive, `unsafe hard link target ${entry.linkPath} (${(err as Error).message})`, entry.path);
          }
          if (linked === null || !extracted.has(linked)) {
            opts.log?.(`${archive}: skipped hard link ${path} -> ${entry.linkPath} (its target was not extracted)`);
            result.skipped++;
            return;
          }
          await ensureDir(dirname(target));
          await writes.drain();
          await copyFile(join(tempDir, linked), target);
          extracted.add(path);
          result.files++;
          return;
        }
        default:
          opts.log?.(`${archive}: skipped ${entry.type === 'symlink' ? `symbolic link ${path} -> ${entry.linkPath}` : `${path} (tar type ${JSON.stringify(entry.typeFlag)})`}`);
          result.skipped++;
      }
    });
    result.members = entries;
    await writes.drain();
  } catch (err) {
    input.destroy();
    await writes.settle();
    await rm(tempDir, { recursive: true, force: true });
    if (err instanceof ArchiveError) throw err;
    if (err instanceof TarFormatError) throw new ArchiveError(archive, `not a valid tar stream ${err.message}`);
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new ArchiveError(archive, `gzip stream is corrupt or cut short (${(err as Error).message})`);
    }
    throw err;
  }

  await rm(destDir, { recursive: true, force: true });
  await rename(tempDir, destDir);
  return result;
}
