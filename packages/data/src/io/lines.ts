import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

const NEWLINE = 10;
const CARRIAGE_RETURN = 13;

export interface Line {
  /** The line's bytes without its terminator (`\n` or `\r\n`); valid until the next line is read. */
  bytes: Uint8Array;
  /** 1-based line number. */
  number: number;
}

/**
 * The lines of a text file as byte views, streamed in large chunks: release files are hundreds
 * of megabytes, more than one JavaScript string can hold. A final newline does not start an
 * extra empty line. A UTF-8 byte order mark at the start is dropped.
 */
export async function* readLines(
  path: string,
  onProgress?: (done: number, total?: number) => void,
): AsyncGenerator<Line> {
  const total = (await stat(path)).size;
  let carry: Buffer | null = null; // the start of a line that continues in the next chunk
  let number = 0;
  let done = 0;
  let first = true;
  for await (const raw of createReadStream(path, { highWaterMark: 1 << 22 })) {
    let chunk = raw as Buffer;
    done += chunk.length;
    if (first) {
      first = false;
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
        chunk = chunk.subarray(3);
      }
    }
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, pos);
      if (nl < 0) break;
      let line: Buffer = chunk.subarray(pos, nl);
      if (carry !== null) {
        line = Buffer.concat([carry, line]);
        carry = null;
      }
      pos = nl + 1;
      yield { bytes: stripCarriageReturn(line), number: ++number };
    }
    if (pos < chunk.length) {
      const rest = chunk.subarray(pos);
      carry = carry === null ? Buffer.from(rest) : Buffer.concat([carry, rest]);
    }
    onProgress?.(done, total);
  }
  if (carry !== null && carry.length > 0) yield { bytes: stripCarriageReturn(carry), number: ++number };
}

function stripCarriageReturn(line: Buffer): Buffer {
  const n = line.length;
  return n > 0 && line[n - 1] === CARRIAGE_RETURN ? line.subarray(0, n - 1) : line;
}
