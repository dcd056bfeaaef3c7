import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PngError } from '../../src/png/errors.js';
import { decodePng, decodePngGray } from '../../src/png/decode.js';
import { encodePngGray } from '../../src/png/encode.js';

/** A chunk built independently of the codec: length, type, data, CRC-32 of type + data. */
function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0);
  return Buffer.concat([head, data, crc]);
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(width: number, height: number, depth: number, colorType: number, interlace = 0): Buffer {
  const b = Buffer.alloc(13);
  b.writeUInt32BE(width, 0);
  b.writeUInt32BE(height, 4);
  b[8] = depth;
  b[9] = colorType;
  b[12] = interlace;
  return b;
}

/** The PNG forward filters, applied per row with the given filter types (bpp bytes per pixel). */
function filterRows(rows: Uint8Array[], types: number[], bpp: number): Buffer {
  const out: number[] = [];
  rows.forEach((row, y) => {
    const prev = y > 0 ? rows[y - 1]! : new Uint8Array(row.length);
    const t = types[y % types.length]!;
    out.push(t);
    for (let i = 0; i < row.length; i++) {
      const a = i >= bpp ? row[i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      let pred = 0;
      if (t === 1) pred = a;
      if (t === 2) pred = b;
      if (t === 3) pred = (a + b) >> 1;
      if (t === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out.push((row[i]! - pred) & 255);
    }
  });
  return Buffer.from(out);
}

function png(header: Buffer, raw: Buffer, extra: Buffer[] = []): Buffer {
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), ...extra, chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

describe('PNG codec', () => {
  it('round-trips 8-bit grey images of several sizes', () => {
    for (const [w, h] of [[1, 1], [32, 32], [7, 3], [128, 128]] as const) {
      const pixels = randomBytes(w * h, w * 31 + h);
      const decoded = decodePngGray(encodePngGray(w, h, pixels));
      expect([decoded.width, decoded.height]).toEqual([w, h]);
      expect(Buffer.from(decoded.pixels).equals(Buffer.from(pixels))).toBe(true);
    }
  });

  it('encodes the same pixels to the same bytes', () => {
    const pixels = randomBytes(1024, 5);
    expect(Buffer.from(encodePngGray(32, 32, pixels)).equals(Buffer.from(encodePngGray(32, 32, pixels)))).toBe(true);
  });

  it('reverses all five filter types', () => {
    const w = 9;
    const h = 10;
    const rgb = randomBytes(w * h * 3, 77);
    const rows = Array.from({ length: h }, (_, y) => rgb.subarray(y * w * 3, (y + 1) * w * 3));
    const decoded = decodePng(png(ihdr(w, h, 8, 2), filterRows(rows, [0, 1, 2, 3, 4], 3)));
    expect(decoded.channels).toBe(3);
    expect(Buffer.from(decoded.samples).equals(Buffer.from(rgb))).toBe(true);
  });

  it('converts RGB to grey with libpng rgb_to_gray as TensorFlow decode_png(channels=1) does', () => {
    // (255,0,0) -> floor(9797 * 255 / 32768) = 76; green 149; blue 29; equal channels kept.
    const rows = [Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255, 200, 200, 200, 10, 20, 30)];
    const gray = decodePngGray(png(ihdr(5, 1, 8, 2), filterRows(rows, [0], 3)));
    expect(Array.from(gray.pixels)).toEqual([76, 149, 29, 200, Math.floor((9797 * 10 + 19234 * 20 + 3737 * 30) / 32768)]);
  });

  it('drops alpha without compositing (RGBA and grey + alpha)', () => {
    const rgba = [Uint8Array.of(255, 0, 0, 0, 90, 90, 90, 17)];
    expect(Array.from(decodePngGray(png(ihdr(2, 1, 8, 6), filterRows(rgba, [1], 4))).pixels)).toEqual([76, 90]);
    const ga = [Uint8Array.of(12, 255, 200, 0)];
    expect(Array.from(decodePngGray(png(ihdr(2, 1, 8, 4), filterRows(ga, [0], 2))).pixels)).toEqual([12, 200]);
  });

  it('expands palettes, also at 2 bits per pixel', () => {
    const palette = Buffer.from([0, 0, 0, 255, 0, 0, 40, 40, 40, 0, 0, 255]);
    // 8-bit indices
    const eight = decodePngGray(png(ihdr(4, 1, 8, 3), Buffer.from([0, 0, 1, 2, 3]), [chunk('PLTE', palette)]));
    expect(Array.from(eight.pixels)).toEqual([0, 76, 40, 29]);
    // 2-bit indices 3,2,1,0 packed in one byte, then 1 in the high bits of the next
    const two = decodePngGray(png(ihdr(5, 1, 2, 3), Buffer.from([0, 0b11100100, 0b01000000]), [chunk('PLTE', palette)]));
    expect(Array.from(two.pixels)).toEqual([29, 40, 76, 0, 76]);
  });

  it('scales 1-, 2- and 4-bit grey to 0..255', () => {
    expect(Array.from(decodePngGray(png(ihdr(3, 1, 1, 0), Buffer.from([0, 0b10100000]))).pixels)).toEqual([255, 0, 255]);
    expect(Array.from(decodePngGray(png(ihdr(2, 1, 2, 0), Buffer.from([0, 0b01110000]))).pixels)).toEqual([85, 255]);
    expect(Array.from(decodePngGray(png(ihdr(2, 1, 4, 0), Buffer.from([0, 0x3f]))).pixels)).toEqual([51, 255]);
  });

  it('rejects a bad CRC, naming the chunk', () => {
    const file = Buffer.from(encodePngGray(4, 4, randomBytes(16, 1)));
    const idat = file.indexOf('IDAT');
    file[idat + 6] = file[idat + 6]! ^ 0xff;
    expect(() => decodePng(file)).toThrow(PngError);
    expect(() => decodePng(file)).toThrow(/bad CRC in chunk IDAT/);
  });

  it('rejects corrupt and unsupported files with the reason', () => {
    const good = Buffer.from(encodePngGray(4, 4, randomBytes(16, 2)));
    expect(() => decodePng(new Uint8Array(0))).toThrow(/empty file/);
    expect(() => decodePng(Buffer.from('GIF89a....'))).toThrow(/bad signature/);
    expect(() => decodePng(good.subarray(0, good.length - 12))).toThrow(/no IEND chunk/);
    expect(() => decodePng(good.subarray(0, 40))).toThrow(/truncated/);
    expect(() => decodePng(png(ihdr(4, 4, 8, 0, 1), Buffer.alloc(20)))).toThrow(/interlaced/);
    expect(() => decodePng(png(ihdr(4, 4, 16, 0), Buffer.alloc(36)))).toThrow(/unsupported: bit depth 16/);
    expect(() => decodePng(png(ihdr(4, 4, 8, 0), Buffer.alloc(10)))).toThrow(/image data truncated: 10 of 20 bytes/);
    expect(() => decodePng(png(ihdr(2, 1, 8, 0), Buffer.from([7, 1, 2])))).toThrow(/row 0 has invalid filter type 7/);
    expect(() => decodePng(png(ihdr(2, 1, 8, 3), Buffer.from([0, 0, 0])))).toThrow(/without a PLTE/);
    expect(() => decodePng(png(ihdr(2, 1, 8, 3), Buffer.from([0, 0, 5]), [chunk('PLTE', Buffer.alloc(6))]))).toThrow(
      /palette index 5, the palette has 2 entries/,
    );
    expect(() => decodePng(png(ihdr(2, 1, 8, 0), Buffer.from([0, 1, 2]), [chunk('ZZZZ', Buffer.alloc(1))]))).toThrow(/unknown critical chunk ZZZZ/);
    const notZlib = Buffer.concat([SIGNATURE, chunk('IHDR', ihdr(2, 1, 8, 0)), chunk('IDAT', Buffer.from('junk')), chunk('IEND', Buffer.alloc(0))]);
    expect(() => decodePng(notZlib)).toThrow(/does not decompress/);
  });

  it('ignores ancillary chunks', () => {
    const gray = decodePngGray(png(ihdr(2, 1, 8, 0), Buffer.from([0, 9, 8]), [chunk('tEXt', Buffer.from('Comment\0hi'))]));
    expect(Array.from(gray.pixels)).toEqual([9, 8]);
  });
});
