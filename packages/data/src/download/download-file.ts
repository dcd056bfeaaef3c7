import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeStaleTempFiles, writeJsonAtomic } from '../io/atomic.js';
import { ChecksumMismatchError, DownloadError } from './errors.js';
import { nodeHttpGet, type HttpGet, type HttpResponse } from './http-get.js';
import { hashFileInto, isSha256Hex, readLockedSha256, sha256File, writeLockedSha256 } from './sha256.js';

export type DownloadLog = (msg: string, fields?: Record<string, unknown>) => void;

export interface DownloadFileOptions {
  url: string;
  /** Final path; the download grows in `<dest>.part` and is renamed here once verified. */
  dest: string;
  /** The published SHA-256 (hex); null or absent when none is known. */
  sha256?: string | null | undefined;
  /** The published size in bytes; null or absent when none is known. */
  bytes?: number | null | undefined;
  /**
   * Where the SHA-256 of a download without a published one is recorded the first time and
   * checked every later time; `<dest>.sha256` by default, null for no lock file.
   */
  lockFile?: string | null | undefined;
  /** Bytes on disk so far (a resumed download starts at what it kept) of the total when known. */
  onProgress?: ((doneBytes: number, totalBytes: number | undefined) => void) | undefined;
  log?: DownloadLog | undefined;
  /** The HTTP client; node:http/node:https by default. */
  fetchImpl?: HttpGet | undefined;
  /**
   * For a file with no published checksum: why its content is not whole (an archive cut short),
   * or null when it is. Run on a finished download before its sha256 is recorded as the reference,
   * and on a file already there before it is reused; a file that fails is deleted.
   */
  checkContent?: ((path: string) => Promise<string | null>) | undefined;
  /** Further attempts after a failure that another attempt may fix (default 4). */
  retries?: number | undefined;
  /** Delay before the first retry, doubled before each further one (default 1000 ms, at most 30 s). */
  retryDelayMs?: number | undefined;
  /** Redirects followed per request (default 5). */
  maxRedirects?: number | undefined;
  /** An attempt that receives nothing for this long is abandoned (default 60 s). */
  idleTimeoutMs?: number | undefined;
}

/** How the file's content was checked. */
export type ChecksumCheck =
  /** Against the published SHA-256. */
  | 'published'
  /** Against the SHA-256 an earlier download recorded in the lock file. */
  | 'locked'
  /** No checksum was known: the computed one was written to the lock file. */
  | 'recorded'
  /** No checksum was known and no lock file was wanted. */
  | 'none';

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  checksum: ChecksumCheck;
  /** False when a complete, verified file was already there. */
  downloaded: boolean;
  /** Requests made (0 when nothing was downloaded). */
  attempts: number;
  /** True when some attempt continued a partial file with an HTTP Range request. */
  resumed: boolean;
}

/** What is kept beside `<dest>.part` so that a resume asks for the same file, unchanged. */
interface PartInfo {
  url: string;
  etag?: string;
  lastModified?: string;
  total?: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_RETRY_DELAY_MS = 30_000;
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'ENETUNREACH', 'EHOSTUNREACH']);

async function fileSize(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function readPartInfo(path: string): Promise<PartInfo | null> {
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as PartInfo;
    return typeof value.url === 'string' ? value : null;
  } catch {
    return null;
  }
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== undefined && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return (code !== undefined && RETRYABLE_CODES.has(code)) || err.name === 'AbortError' || err.message === 'aborted';
}

/** `bytes start-end/total` or `bytes * /total`; total is undefined when given as `*`. */
function parseContentRange(value: string | undefined): { start?: number; total?: number } {
  const match = /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i.exec(value?.trim() ?? '');
  if (match === null) return {};
  const out: { start?: number; total?: number } = {};
  if (match[1] !== undefined) out.start = Number(match[1]);
  if (match[2] !== '*') out.total = Number(match[2]);
  return out;
}

function parseLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** A strong ETag, else Last-Modified: what `If-Range` may carry (weak ETags are not allowed there). */
function ifRangeValidator(info: PartInfo): string | undefined {
  if (info.etag !== undefined && !info.etag.startsWith('W/')) return info.etag;
  return info.lastModified;
}

function statusError(url: string, res: HttpResponse): DownloadError {
  const status = res.status;
  // Server-side trouble and rate limits may pass; any other answer will be the same next time.
  const retryable = status >= 500 || status === 408 || status === 429;
  return new DownloadError(url, `HTTP ${status}${res.statusText === '' ? '' : ` ${res.statusText}`}`, { retryable, status });
}

/**
 * Downloads `url` to `dest`: resumable (the partial file `<dest>.part` is continued with an HTTP
 * Range request, guarded by If-Range, and restarted cleanly when the server ignores the range),
 * redirects followed (bounded), retries with exponential backoff for failures another attempt
 * may fix, the SHA-256 computed while the bytes arrive, and the file renamed into place only once
 * verified. A mismatch with a known checksum (published, or recorded in the lock file by an
 * earlier download) is an error naming both sums, and the bad bytes are deleted.
 */
export async function downloadFile(opts: DownloadFileOptions): Promise<DownloadResult> {
  const { url, dest } = opts;
  const fetchImpl = opts.fetchImpl ?? nodeHttpGet;
  const log: DownloadLog = opts.log ?? (() => undefined);
  const retries = opts.retries ?? 4;
  const retryDelayMs = opts.retryDelayMs ?? 1000;
  const maxRedirects = opts.maxRedirects ?? 5;
  const idleTimeoutMs = opts.idleTimeoutMs ?? 60_000;
  const lockFile = opts.lockFile === undefined ? `${dest}.sha256` : opts.lockFile;
  const published = opts.sha256 === undefined || opts.sha256 === null ? null : opts.sha256.toLowerCase();
  if (published !== null && !isSha256Hex(published)) throw new Error(`sha256 for ${url} is not 64 hex digits: ${opts.sha256}`);
  const expectedBytes = opts.bytes ?? null;
  const partPath = `${dest}.part`;
  const infoPath = `${dest}.part.json`;
  await mkdir(dirname(dest), { recursive: true });
  await removeStaleTempFiles(dirname(dest));

  if (published === null && opts.checkContent !== undefined && (await fileSize(dest)) !== null) {
    const problem = await opts.checkContent(dest);
    if (problem !== null) {
      // A bad file recorded as the reference (by a version that did not check) would be reused forever.
      const recorded = lockFile !== null ? await readLockedSha256(lockFile) : null;
      const dropLock = recorded !== null && recorded === (await sha256File(dest));
      await rm(dest, { force: true });
      if (dropLock) await rm(lockFile!, { force: true });
      log(`${dest} is not a whole file (${problem}); deleted it${dropLock ? ` and the sha256 recorded for it in ${lockFile}` : ''}, downloading it again`);
    }
  }

  const locked = published === null && lockFile !== null ? await readLockedSha256(lockFile) : null;
  const expected = published ?? locked;
  const check: ChecksumCheck = published !== null ? 'published' : locked !== null ? 'locked' : lockFile !== null ? 'recorded' : 'none';

  const existing = await fileSize(dest);
  if (existing !== null) {
    const actual = await sha256File(dest);
    if (expected === null) {
      if (lockFile !== null) {
        await writeLockedSha256(lockFile, actual, dest);
        log(`no published sha256 for ${basename(dest)}; recorded the sha256 of the file already there (${actual}) in ${lockFile}`, { sha256: actual });
      }
      return { path: dest, bytes: existing, sha256: actual, checksum: check, downloaded: false, attempts: 0, resumed: false };
    }
    if (actual === expected && (expectedBytes === null || existing === expectedBytes)) {
      return { path: dest, bytes: existing, sha256: actual, checksum: check, downloaded: false, attempts: 0, resumed: false };
    }
    if (published === null) {
      throw new ChecksumMismatchError(url, dest, 'sha256', expected, actual, `the file no longer matches the sha256 recorded in ${lockFile}; delete both to download it again`);
    }
    log(`${dest} does not match the published sha256 (expected ${expected}, got ${actual}); downloading it again`);
    await rm(dest, { force: true });
  }

  let resumed = false;
  let attempts = 0;

  /** One request: continues the partial file, or restarts it; returns the SHA-256 of the whole. */
  async function attempt(): Promise<{ sha256: string; bytes: number }> {
    let offset = (await fileSize(partPath)) ?? 0;
    let info = offset > 0 ? await readPartInfo(infoPath) : null;
    if (offset > 0 && (info === null || info.url !== url)) {
      log(`discarding ${partPath}: it was not started from ${url}`);
      offset = 0;
      info = null;
    }
    if (offset > 0 && expectedBytes !== null && offset > expectedBytes) {
      log(`discarding ${partPath}: it is longer than the published size ${expectedBytes}`);
      offset = 0;
      info = null;
    }

    const controller = new AbortController();
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const armIdleTimer = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        controller.abort();
      }, idleTimeoutMs);
    };
    const networkError = (err: unknown, what: string): DownloadError =>
      err instanceof DownloadError
        ? err
        : stalled
          ? new DownloadError(url, `${what}: no data for ${idleTimeoutMs} ms`)
          : new DownloadError(url, `${what}: ${describeError(err)}`, { retryable: isNetworkError(err) });

    // The prefix already on disk is hashed before the request, not while the server waits.
    let prefixHash: Hash | null = null;
    if (offset > 0) {
      prefixHash = createHash('sha256');
      await hashFileInto(prefixHash, partPath, offset);
    }
    armIdleTimer();
    try {
      // At most two requests: a resume, and a clean restart if the server refuses that range.
      for (let pass = 0; pass < 2; pass++) {
        const headers: Record<string, string> = {};
        if (offset > 0 && info !== null) {
          headers.range = `bytes=${offset}-`;
          const validator = ifRangeValidator(info);
          if (validator !== undefined) headers['if-range'] = validator;
        }
        attempts++;
        let res: HttpResponse;
        let current = url;
        try {
          for (let redirects = 0; ; redirects++) {
            res = await fetchImpl(current, { headers, signal: controller.signal });
            const location = res.headers.location;
            if (!REDIRECT_STATUSES.has(res.status) || location === undefined) break;
            res.destroy();
            if (redirects >= maxRedirects) {
              throw new DownloadError(url, `more than ${maxRedirects} redirects (last to ${location})`, { retryable: false, status: res.status });
            }
            current = new URL(location, current).href;
            log(`redirected to ${current}`, { status: res.status });
          }
        } catch (err) {
          throw networkError(err, 'request failed');
        }

        let total: number | undefined;
        if (res.status === 416 && offset > 0) {
          res.destroy();
          const range = parseContentRange(res.headers['content-range']);
          if (range.total === offset && prefixHash !== null) {
            // The previous attempt had everything but the rename.
            return { sha256: prefixHash.digest('hex'), bytes: offset };
          }
          log(`the server refused the range from byte ${offset} (HTTP 416); restarting from the beginning`);
          offset = 0;
          info = null;
          continue;
        }
        if (res.status === 206 && offset > 0) {
          const range = parseContentRange(res.headers['content-range']);
          if (range.start !== offset) {
            res.destroy();
            log(`the server sent another range (${res.headers['content-range'] ?? 'no Content-Range'}) than asked (from byte ${offset}); restarting from the beginning`);
            offset = 0;
            info = null;
            continue;
          }
          total = range.total ?? info?.total;
          resumed = true;
          log(`resuming ${basename(dest)} at byte ${offset}${total === undefined ? '' : ` of ${total}`}`);
        } else if (res.status === 200 || (res.status === 206 && offset === 0)) {
          if (offset > 0) log(`the server ignored the range request (HTTP 200); restarting ${basename(dest)} from the beginning`);
          offset = 0;
          total = res.status === 206 ? parseContentRange(res.headers['content-range']).total : parseLength(res.headers['content-length']);
          total ??= expectedBytes ?? undefined;
          const fresh: PartInfo = { url };
          if (res.headers.etag !== undefined) fresh.etag = res.headers.etag;
          if (res.headers['last-modified'] !== undefined) fresh.lastModified = res.headers['last-modified'];
          if (total !== undefined) fresh.total = total;
          await writeJsonAtomic(infoPath, fresh);
          info = fresh;
        } else {
          res.destroy();
          throw statusError(current, res);
        }

        const hash = offset > 0 && prefixHash !== null ? prefixHash.copy() : createHash('sha256');
        const handle = await open(partPath, offset > 0 ? 'a' : 'w');
        let done = offset;
        try {
          opts.onProgress?.(done, total);
          try {
            for await (const chunk of res.body) {
              armIdleTimer();
              hash.update(chunk);
              await handle.write(chunk);
              done += chunk.byteLength;
              opts.onProgress?.(done, total);
            }
          } catch (err) {
            const lost = networkError(err, `connection lost after ${done}${total === undefined ? '' : ` of ${total}`} bytes`);
            throw new DownloadError(url, `${lost.reason} (the ${done} bytes are kept in ${partPath} for the next attempt)`, { retryable: lost.retryable });
          }
          await handle.sync();
        } finally {
          await handle.close();
        }
        if (total !== undefined && done < total) {
          throw new DownloadError(url, `truncated body: the connection closed after ${done} of ${total} bytes (the ${done} bytes are kept in ${partPath} for the next attempt)`);
        }
        if (total !== undefined && done > total) {
          await rm(partPath, { force: true });
          throw new DownloadError(url, `the server sent ${done} bytes, more than the ${total} it announced`);
        }
        return { sha256: hash.digest('hex'), bytes: done };
      }
      throw new DownloadError(url, 'the server answered neither the range request nor a clean restart');
    } finally {
      clearTimeout(timer);
    }
  }

  let result: { sha256: string; bytes: number } | undefined;
  for (let round = 1; result === undefined; round++) {
    try {
      result = await attempt();
    } catch (err) {
      if (!(err instanceof DownloadError)) throw err;
      if (!err.retryable || round > retries) {
        if (round === 1) throw err;
        throw new DownloadError(err.url, `${err.reason}; gave up after ${round} attempts`, { retryable: false, status: err.status });
      }
      const delay = Math.min(retryDelayMs * 2 ** (round - 1), MAX_RETRY_DELAY_MS);
      log(`attempt ${round} failed: ${err.message}; retrying in ${delay} ms`, { attempt: round, delayMs: delay });
      await sleep(delay);
    }
  }

  const discard = async (): Promise<void> => {
    await rm(partPath, { force: true });
    await rm(infoPath, { force: true });
  };
  if (expectedBytes !== null && result.bytes !== expectedBytes) {
    await discard();
    throw new ChecksumMismatchError(url, dest, 'size', `${expectedBytes} bytes`, `${result.bytes} bytes`, 'the download was deleted');
  }
  if (expected !== null && result.sha256 !== expected) {
    await discard();
    const hint =
      published !== null
        ? 'the download was deleted'
        : `the download was deleted; ${lockFile} holds the sha256 of an earlier download of this file: delete it to accept the new content`;
    throw new ChecksumMismatchError(url, dest, 'sha256', expected, result.sha256, hint);
  }
  if (published === null && opts.checkContent !== undefined) {
    const problem = await opts.checkContent(partPath);
    if (problem !== null) {
      await discard();
      throw new DownloadError(
        url,
        `${dest}: the download is not a whole file (${problem}); it was deleted and no sha256 was recorded. ` +
          `No checksum is published for it, so its content is the only check: run the command again to download it anew; ` +
          `if it fails the same way, the server sends a damaged file (download ${url} yourself, test it with gzip -t, and put it at ${dest})`,
        { retryable: false },
      );
    }
  }
  if (check === 'recorded' && lockFile !== null) {
    await writeLockedSha256(lockFile, result.sha256, dest);
    log(`no published sha256 for ${basename(dest)}; recorded the computed one (${result.sha256}) in ${lockFile}, against which later downloads are checked`, {
      sha256: result.sha256,
    });
  } else if (check === 'none') {
    log(`no published sha256 for ${basename(dest)}; its sha256 is ${result.sha256} (not checked)`, { sha256: result.sha256 });
  }
  await rename(partPath, dest);
  await rm(infoPath, { force: true });
  return { path: dest, bytes: result.bytes, sha256: result.sha256, checksum: check, downloaded: true, attempts, resumed };
}
