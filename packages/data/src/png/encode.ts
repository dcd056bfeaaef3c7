import { deflateSync } from 'node:zlib';
import { PNG_SIGNATURE, encodePngChunk } from './chunks.js';

export interface PngEncodeOptions {
  /** zlib level 0-9; the output is the same bytes for the same pixels and level. */
  level?: number | undefined;
}

/** Encodes an 8-bit greyscale image (row-major pixels) as a PNG, every row with filter 0. */
export function encodePngGray(width: number, height: number, pixels: Uint8Array, opts: PngEncodeOptions = {}): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`encodePngGray: invalid size ${width}x${height}`);
  }
  if (pixels.length !== width * height) {
    throw new Error(`encodePngGray: ${pixels.length} pixels for a ${width}x${height} image`);
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  const raw = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const idat = deflateSync(raw, { level: opts.level ?? 9 });
  const parts = [PNG_SIGNATURE, encodePngChunk('IHDR', header), encodePngChunk('IDAT', idat), encodePngChunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
