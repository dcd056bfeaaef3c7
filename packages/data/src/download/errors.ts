/**
 * A download that could not be completed: an HTTP status other than success, too many redirects,
 * a body shorter than announced, a stalled connection. The message names the URL.
 */
export class DownloadError extends Error {
  override readonly name: string = 'DownloadError';
  readonly url: string;
  /** False for answers that another attempt would not change (404, a checksum mismatch). */
  readonly retryable: boolean;
  /** The HTTP status when the server answered with one. */
  readonly status: number | undefined;
  /** The message without the URL. */
  readonly reason: string;

  constructor(url: string, reason: string, opts: { retryable?: boolean; status?: number | undefined } = {}) {
    super(`${reason} (${url})`);
    this.url = url;
    this.reason = reason;
    this.retryable = opts.retryable ?? true;
    this.status = opts.status;
  }
}

/** A completed download whose SHA-256 (or size) is not the expected one. Never retried. */
export class ChecksumMismatchError extends DownloadError {
  override readonly name = 'ChecksumMismatchError';
  readonly file: string;
  readonly expected: string;
  readonly actual: string;

  constructor(url: string, file: string, what: 'sha256' | 'size', expected: string, actual: string, hint = '') {
    super(url, `${file}: ${what} mismatch: expected ${expected}, got ${actual}${hint === '' ? '' : `; ${hint}`}`, { retryable: false });
    this.file = file;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * An archive that cannot be read (not gzip or tar, a corrupt header, cut short) or that holds a
 * member whose path would land outside the destination. `member` names the entry when known.
 */
export class ArchiveError extends Error {
  override readonly name = 'ArchiveError';
  readonly archive: string;
  readonly member: string | undefined;
  /** The message without the archive's path. */
  readonly reason: string;

  constructor(archive: string, reason: string, member?: string) {
    super(`${archive}${member === undefined ? '' : ` (member ${member})`}: ${reason}`);
    this.archive = archive;
    this.member = member;
    this.reason = `${member === undefined ? '' : `member ${member}: `}${reason}`;
  }
}
