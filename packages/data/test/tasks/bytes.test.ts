import { describe, expect, it } from 'vitest';
import { byteTokens, bytesOfTokens, findInvalidUtf8, stripAsciiWhitespace } from '../../src/tasks/bytes.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('byte tokens', () => {
  it('maps byte b to b + 1 (0 is padding) and truncates', () => {
    const text = Buffer.from('Aé\u0000\u00ff', 'utf8'); // 41, c3 a9, 00, c3 bf
    expect(Array.from(byteTokens(text, 100))).toEqual([0x42, 0xc4, 0xaa, 1, 0xc4, 0xc0]);
    expect(Array.from(byteTokens(text, 2))).toEqual([0x42, 0xc4]);
    expect(Array.from(byteTokens(text, 100, 1, 3))).toEqual([0xc4, 0xaa]);
    expect(Array.from(byteTokens(bytes(255), 1))).toEqual([256]);
    expect(Buffer.from(bytesOfTokens([...byteTokens(text, 100), 0, 0])).equals(text)).toBe(true);
  });

  it('strips ASCII whitespace like Python bytes.strip', () => {
    expect(Buffer.from(stripAsciiWhitespace(Buffer.from(' \t\r\n\v\fa b\n\n'))).toString()).toBe('a b');
    // A no-break space (c2 a0) is not ASCII whitespace: it stays.
    expect(Array.from(stripAsciiWhitespace(bytes(0xc2, 0xa0, 0x20)))).toEqual([0xc2, 0xa0]);
    expect(stripAsciiWhitespace(Buffer.from('  \n')).length).toBe(0);
  });
});

describe('findInvalidUtf8', () => {
  it('accepts well-formed UTF-8, including 4-byte sequences', () => {
    expect(findInvalidUtf8(Buffer.from('plain, é, 漢, 😀\n', 'utf8'))).toBeNull();
    expect(findInvalidUtf8(new Uint8Array(0))).toBeNull();
  });

  it('says where and why it fails, with the line', () => {
    expect(findInvalidUtf8(bytes(0x61, 0x0a, 0x62, 0xff))).toEqual({ offset: 3, line: 2, reason: 'byte 0xff is a byte that never occurs in UTF-8' });
    expect(findInvalidUtf8(bytes(0x61, 0x80))).toEqual({ offset: 1, line: 1, reason: 'byte 0x80 is a continuation byte with no lead byte' });
    expect(findInvalidUtf8(bytes(0xe6, 0xbc))).toEqual({
      offset: 0,
      line: 1,
      reason: 'the 3-byte sequence starting with 0xe6 is cut off by the end of the file',
    });
    // Overlong encodings, surrogates and code points above U+10FFFF are rejected too.
    expect(findInvalidUtf8(bytes(0xc0, 0xaf))?.offset).toBe(0);
    expect(findInvalidUtf8(bytes(0xe0, 0x80, 0xaf))?.reason).toBe('byte 0x80 cannot follow 0xe0 in a 3-byte sequence');
    expect(findInvalidUtf8(bytes(0x20, 0xed, 0xa0, 0x80))).toMatchObject({ offset: 1 });
    expect(findInvalidUtf8(bytes(0xf4, 0x90, 0x80, 0x80))).toMatchObject({ offset: 0 });
    // Latin-1 text (a common corruption) fails at its first accented byte.
    expect(findInvalidUtf8(Buffer.from('caf\u00e9 au lait', 'latin1'))).toMatchObject({ offset: 3, line: 1 });
  });

  it('agrees with a strict decoder on every 1- and 2-byte string and on random ones', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const valid = (b: Uint8Array): boolean => {
      try {
        decoder.decode(b);
        return true;
      } catch {
        return false;
      }
    };
    for (let a = 0; a < 256; a++) {
      expect(findInvalidUtf8(bytes(a)) === null).toBe(valid(bytes(a)));
      for (let b = 0; b < 256; b++) {
        const two = bytes(a, b);
        if ((findInvalidUtf8(two) === null) !== valid(two)) throw new Error(`disagree on ${a} ${b}`);
      }
    }
    let state = 7;
    for (let k = 0; k < 20000; k++) {
      const n = 1 + (k % 6);
      const s = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        s[i] = [0x41, 0x80, 0xbf, 0xc3, 0xe0, 0xed, 0xf0, 0xf4, 0x90, 0xa0][state % 10]!;
      }
      expect(findInvalidUtf8(s) === null).toBe(valid(s));
    }
  });
});
