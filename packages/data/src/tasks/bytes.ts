import { isUtf8 } from 'node:buffer';

/**
 * Byte-level ids as LRA's byte encoder (tfds ByteTextEncoder) makes them for Text and Retrieval:
 * byte b becomes b + 1 and 0 is padding, so the vocabulary has 257 ids.
 */
export const BYTE_PAD = 0;
export const BYTE_VOCAB_SIZE = 257;
export const BYTE_VOCAB_VERSION = 'bytes-v1';

/** The ids of `bytes[start, end)`, at most `maxLength` of them (the rest is truncated). */
export function byteTokens(bytes: Uint8Array, maxLength: number, start = 0, end = bytes.length): Int32Array {
  const n = Math.min(end - start, maxLength);
  const out = new Int32Array(Math.max(0, n));
  for (let i = 0; i < n; i++) out[i] = bytes[start + i]! + 1;
  return out;
}

/** The bytes a token id stands for; the inverse of byteTokens (padding dropped). */
export function bytesOfTokens(ids: ArrayLike<number>): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) if (ids[i] !== BYTE_PAD) out.push(ids[i]! - 1);
  return Uint8Array.from(out);
}

/** Python's bytes.strip(): ASCII whitespace (space, \t, \n, \r, \v, \f) off both ends. */
export function stripAsciiWhitespace(bytes: Uint8Array): Uint8Array {
  const space = (b: number): boolean => b === 32 || (b >= 9 && b <= 13);
  let start = 0;
  let end = bytes.length;
  while (start < end && space(bytes[start]!)) start++;
  while (end > start && space(bytes[end - 1]!)) end--;
  return bytes.subarray(start, end);
}

/** Where UTF-8 decoding first fails: its byte offset and 1-based line, and why. */
export interface Utf8Problem {
  offset: number;
  line: number;
  reason: string;
}

/** Length of the sequence a lead byte starts, and the range its second byte must lie in. */
function leadInfo(b: number): { length: number; lo: number; hi: number } | null {
  if (b >= 0xc2 && b <= 0xdf) return { length: 2, lo: 0x80, hi: 0xbf };
  if (b === 0xe0) return { length: 3, lo: 0xa0, hi: 0xbf }; // no overlong forms
  if (b === 0xed) return { length: 3, lo: 0x80, hi: 0x9f }; // no surrogates
  if (b >= 0xe1 && b <= 0xef) return { length: 3, lo: 0x80, hi: 0xbf };
  if (b === 0xf0) return { length: 4, lo: 0x90, hi: 0xbf };
  if (b === 0xf4) return { length: 4, lo: 0x80, hi: 0x8f }; // nothing above U+10FFFF
  if (b >= 0xf1 && b <= 0xf3) return { length: 4, lo: 0x80, hi: 0xbf };
  return null;
}

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/**
 * The first place where `bytes` is not well-formed UTF-8 (RFC 3629), or null when it all is.
 * Node's isUtf8 answers the common case fast; the scan only runs to say where it fails.
 */
export function findInvalidUtf8(bytes: Uint8Array): Utf8Problem | null {
  if (isUtf8(bytes)) return null;
  let line = 1;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      if (b === 10) line++;
      i++;
      continue;
    }
    const info = leadInfo(b);
    if (info === null) {
      const what = b < 0xc0 ? 'a continuation byte with no lead byte' : 'a byte that never occurs in UTF-8';
      return { offset: i, line, reason: `byte ${hex(b)} is ${what}` };
    }
    if (i + info.length > bytes.length) {
      return { offset: i, line, reason: `the ${info.length}-byte sequence starting with ${hex(b)} is cut off by the end of the file` };
    }
    for (let k = 1; k < info.length; k++) {
      const c = bytes[i + k]!;
      const lo = k === 1 ? info.lo : 0x80;
      const hi = k === 1 ? info.hi : 0xbf;
      if (c < lo || c > hi) {
        return { offset: i, line, reason: `byte ${hex(c)} cannot follow ${hex(b)} in a ${info.length}-byte sequence` };
      }
    }
    i += info.length;
  }
  // isUtf8 and this scan implement the same rules; reaching here would mean they disagree.
  return { offset: bytes.length, line, reason: 'not valid UTF-8' };
}
