import { createHash, randomBytes, type Hash } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const TEMP_PATTERN = /\.tmp-(\d+)-[0-9a-f]{8}$/;
const FLUSH_BYTES = 1 << 22;

function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Writes a file under a temporary name in the same folder and renames it over the target only
 * once it is complete and synced, so the target is always absent, the old file, or the whole new
 * one, never a part. Tracks the SHA-256 and size of what it writes. Writes are buffered: await
 * each `write` (it only touches the disk once enough has accumulated).
 */
export class AtomicFileWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private closed = false;
  bytes = 0;

  private constructor(
    readonly path: string,
    readonly tempPath: string,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string): Promise<AtomicFileWriter> {
    await mkdir(dirname(path), { recursive: true });
    const tempPath = tempPathFor(path);
    return new AtomicFileWriter(path, tempPath, await open(tempPath, 'wx'));
  }

  /** Appends `data`; a Uint8Array is kept by reference until flushed, so do not change it after. */
  async write(data: string | Uint8Array): Promise<void> {
    const chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const chunks = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    await this.handle.writev(chunks);
  }

  /** Completes the file and renames it into place; returns its size and SHA-256 (hex). */
  async commit(): Promise<{ bytes: number; sha256: string }> {
    const sums = await this.seal();
    await this.publish();
    return sums;
  }

  /**
   * Completes the file under its temporary name (flushed, synced, closed) without renaming it:
   * a writer of several files seals each as it goes and publishes them all once every one is
   * complete. Returns its size and SHA-256 (hex).
   */
  async seal(): Promise<{ bytes: number; sha256: string }> {
    try {
      await this.flush();
      await this.handle.datasync();
      this.closed = true;
      await this.handle.close();
    } catch (err) {
      await this.abort();
      throw err;
    }
    return { bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  /** Renames a sealed file into place: to `path`, or to another name in the same folder. */
  async publish(path = this.path): Promise<void> {
    if (!this.closed) throw new Error(`${this.tempPath}: publish() before seal()`);
    try {
      await rename(this.tempPath, path);
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** Drops the temporary file; the target is left as it was. */
  async abort(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.handle.close().catch(() => undefined);
    }
    await rm(this.tempPath, { force: true });
  }
}

/**
 * Runs `produce` against a fresh AtomicFileWriter for `path` and commits it; if `produce` (or
 * the commit) throws, the temporary file is removed and the error rethrown.
 */
export async function writeFileAtomicWith(
  path: string,
  produce: (writer: AtomicFileWriter) => Promise<void>,
): Promise<{ bytes: number; sha256: string }> {
  const writer = await AtomicFileWriter.open(path);
  try {
    await produce(writer);
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return writer.commit();
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<{ bytes: number; sha256: string }> {
  return writeFileAtomicWith(path, (writer) => writer.write(data));
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary files that a killed process left in `dir` (a process that dies between open
 * and rename cannot clean up after itself). Files of processes still running are kept.
 */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMP_PATTERN.exec(basename(name));
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || processIsAlive(pid)) continue;
    await rm(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}
