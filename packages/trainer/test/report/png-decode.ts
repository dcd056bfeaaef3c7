// An independent PNG reader for the tests: chunks, IHDR, and the pixels of an 8-bit,
// non-interlaced RGB or RGBA image, inflated with node:zlib and unfiltered here, so a test of the
// renderer's PNGs does not trust the renderer to read them back.
import { inflateSync } from 'node:zlib';

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export interface DecodedPng {
  width: number;
  height: number;
  channels: 3 | 4;
  /** width * height * channels bytes, row-major from the top-left pixel. */
  pixels: Uint8Array;
  chunkTypes: string[];
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export function decodePng(png: Buffer): DecodedPng {
  if (!PNG_SIGNATURE.every((b, i) => png[i] === b)) throw new Error('not a PNG: bad signature');
  const chunkTypes: string[] = [];
  const idat: Buffer[] = [];
  let header: Buffer | undefined;
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    chunkTypes.push(type);
    if (type === 'IHDR') header = data;
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  if (!header) throw new Error('no IHDR');
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  const [depth, colourType, , , interlace] = [header[8], header[9], header[10], header[11], header[12]];
  if (depth !== 8 || interlace !== 0 || (colourType !== 2 && colourType !== 6)) throw new Error(`unsupported PNG: depth ${depth}, colour type ${colourType}, interlace ${interlace}`);
  const channels = colourType === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? pixels[y * stride + x - channels]! : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const upLeft = y > 0 && x >= channels ? pixels[(y - 1) * stride + x - channels]! : 0;
      const predictor = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter];
      if (predictor === undefined) throw new Error(`bad filter ${filter} on row ${y}`);
      pixels[y * stride + x] = (line[x]! + predictor) & 0xff;
    }
  }
  return { width, height, channels, pixels, chunkTypes };
}

/** The [r, g, b] of the pixel at (x, y). */
export function pixelAt(png: DecodedPng, x: number, y: number): [number, number, number] {
  const at = (y * png.width + x) * png.channels;
  return [png.pixels[at]!, png.pixels[at + 1]!, png.pixels[at + 2]!];
}

/** How many pixels are within `tolerance` of the colour on every channel. */
export function countColour(png: DecodedPng, rgb: readonly [number, number, number], tolerance = 24): number {
  let n = 0;
  for (let at = 0; at < png.pixels.length; at += png.channels) {
    if (Math.abs(png.pixels[at]! - rgb[0]) <= tolerance && Math.abs(png.pixels[at + 1]! - rgb[1]) <= tolerance && Math.abs(png.pixels[at + 2]! - rgb[2]) <= tolerance) n++;
  }
  return n;
}
