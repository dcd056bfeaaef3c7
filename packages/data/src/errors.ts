/**
 * A malformed row or file in a task's source data. The message always reads `file:line: reason`
 * so that it points at the exact place to look; `line` is 1-based and counts the header line.
 */
export class DataFormatError extends Error {
  override readonly name = 'DataFormatError';
  readonly file: string;
  readonly line: number;
  readonly reason: string;

  constructor(file: string, line: number, reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/** The task's source files could not be found (the message says what was looked for, where). */
export class DataSourceError extends Error {
  override readonly name = 'DataSourceError';
}

/** A cache file or manifest that is missing, of another format version, or fails its checksum. */
export class CacheError extends Error {
  override readonly name = 'CacheError';
  readonly path: string;

  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.path = path;
  }
}
