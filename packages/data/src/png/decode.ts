import { inflateSync } from 'node:zlib';
import { readPngChunks } from './chunks.js';
import { PngError } from './errors.js';

/** PNG colour types: 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
export type PngColorType = 0 | 2 | 3 | 4 | 6;

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: PngColorType;
  interlaced: boolean;
}

/** A decoded image as 8-bit samples: `channels` per pixel, row-major, palettes expanded to RGB. */
export interface PngImage {
  width: number;
  height: number;
  colorType: PngColorType;
  /** 1 grey, 2 grey + alpha, 3 RGB (also for palette images), 4 RGBA. */
  channels: number;
  samples: Uint8Array;
}

/** A one-channel image, 8 bits per pixel, row-major. */
export interface GrayImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

const CHANNELS: Record<PngColorType, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const SUPPORTED_DEPTHS: Record<PngColorType, readonly number[]> = { 0: [1, 2, 4, 8], 2: [8], 3: [1, 2, 4, 8], 4: [8], 6: [8] };
/** Decoding refuses images above this many pixels rather than allocating without bound. */
const MAX_PIXELS = 1 << 26;

/**
 * libpng's fixed-point rgb_to_gray coefficients for the weights TensorFlow's decode_png passes
 * (0.299, 0.587; blue takes the rest of 32768): floor(w * 100000) * 32768 / 100000, truncated.
 */
export const PNG_GRAY_RED = 9797;
export const PNG_GRAY_GREEN = 19234;
export const PNG_GRAY_BLUE = 32768 - PNG_GRAY_RED - PNG_GRAY_GREEN;

function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function parseHeader(data: Uint8Array): PngHeader {
  if (data.length !== 13) throw new PngError(`IHDR has ${data.length} bytes, expected 13`);
  const width = readUint32(data, 0);
  const height = readUint32(data, 4);
  const bitDepth = data[8]!;
  const colorType = data[9]!;
  if (width === 0 || height === 0) throw new PngError(`invalid size ${width}x${height}`);
  if (!(colorType in CHANNELS)) throw new PngError(`invalid colour type ${colorType}`);
  const type = colorType as PngColorType;
  if (![1, 2, 4, 8, 16].includes(bitDepth)) throw new PngError(`invalid bit depth ${bitDepth}`);
  if (!SUPPORTED_DEPTHS[type].includes(bitDepth)) {
    throw new PngError(`unsupported: bit depth ${bitDepth} with colour type ${colorType} (supported: ${SUPPORTED_DEPTHS[type].join(', ')})`);
  }
  if (data[10] !== 0) throw new PngError(`invalid compression method ${data[10]}`);
  if (data[11] !== 0) throw new PngError(`invalid filter method ${data[11]}`);
  if (data[12]! > 1) throw new PngError(`invalid interlace method ${data[12]}`);
  if (width * height > MAX_PIXELS) throw new PngError(`image of ${width}x${height} is larger than ${MAX_PIXELS} pixels`);
  return { width, height, bitDepth, colorType: type, interlaced: data[12] === 1 };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/** Reverses the per-row filters in place; returns the rows without their filter bytes. */
function unfilter(raw: Uint8Array, height: number, rowBytes: number, bytesPerPixel: number): Uint8Array {
  const out = new Uint8Array(height * rowBytes);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (rowBytes + 1)]!;
    const src = raw.subarray(y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1));
    const row = out.subarray(y * rowBytes, (y + 1) * rowBytes);
    const prev = y > 0 ? out.subarray((y - 1) * rowBytes, y * rowBytes) : null;
    switch (filter) {
      case 0:
        row.set(src);
        break;
      case 1:
        for (let i = 0; i < rowBytes; i++) row[i] = (src[i]! + (i >= bytesPerPixel ? row[i - bytesPerPixel]! : 0)) & 255;
        break;
      case 2:
        for (let i = 0; i < rowBytes; i++) row[i] = (src[i]! + (prev === null ? 0 : prev[i]!)) & 255;
        break;
      case 3:
        for (let i = 0; i < rowBytes; i++) {
          const left = i >= bytesPerPixel ? row[i - bytesPerPixel]! : 0;
          const up = prev === null ? 0 : prev[i]!;
          row[i] = (src[i]! + ((left + up) >> 1)) & 255;
        }
        break;
      case 4:
        for (let i = 0; i < rowBytes; i++) {
          const left = i >= bytesPerPixel ? row[i - bytesPerPixel]! : 0;
          const up = prev === null ? 0 : prev[i]!;
          const upLeft = prev !== null && i >= bytesPerPixel ? prev[i - bytesPerPixel]! : 0;
          row[i] = (src[i]! + paeth(left, up, upLeft)) & 255;
        }
        break;
      default:
        throw new PngError(`row ${y} has invalid filter type ${filter}`);
    }
  }
  return out;
}

/** Unpacks sub-byte samples to one byte each (values still 0..2^depth - 1). */
function unpack(rows: Uint8Array, width: number, height: number, rowBytes: number, depth: number): Uint8Array {
  if (depth === 8) return rows;
  const out = new Uint8Array(width * height);
  const perByte = 8 / depth;
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const byte = rows[y * rowBytes + Math.floor(x / perByte)]!;
      const shift = 8 - depth * ((x % perByte) + 1);
      out[y * width + x] = (byte >> shift) & mask;
    }
  }
  return out;
}

/**
 * Decodes a non-interlaced PNG of 8 bits per sample (or 1, 2, 4 bits for grey and palette
 * images) into 8-bit samples. Every chunk's CRC is checked; a file that is truncated, corrupt,
 * interlaced, 16-bit, or has an unknown critical chunk throws a PngError that says which.
 */
export function decodePng(bytes: Uint8Array): PngImage {
  const chunks = readPngChunks(bytes);
  if (chunks[0]!.type !== 'IHDR') throw new PngError(`first chunk is ${chunks[0]!.type}, expected IHDR`);
  const header = parseHeader(chunks[0]!.data);
  if (header.interlaced) throw new PngError('unsupported: interlaced (Adam7) image');
  let palette: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let idatEnded = false;
  for (const chunk of chunks.slice(1)) {
    if (chunk.type === 'IDAT') {
      if (idatEnded) throw new PngError(`IDAT chunks are not consecutive (another at byte ${chunk.offset})`);
      idat.push(chunk.data);
      continue;
    }
    if (idat.length > 0) idatEnded = true;
    if (chunk.type === 'PLTE') {
      if (idat.length > 0) throw new PngError('PLTE after IDAT');
      if (chunk.data.length === 0 || chunk.data.length % 3 !== 0 || chunk.data.length > 768) {
        throw new PngError(`PLTE has ${chunk.data.length} bytes, expected a multiple of 3 up to 768`);
      }
      palette = chunk.data;
    } else if (chunk.type === 'IHDR') {
      throw new PngError(`second IHDR at byte ${chunk.offset}`);
    } else if (chunk.type !== 'IEND' && chunk.type.charCodeAt(0) < 97) {
      throw new PngError(`unknown critical chunk ${chunk.type} at byte ${chunk.offset}`);
    }
  }
  if (idat.length === 0) throw new PngError('no IDAT chunk');
  if (header.colorType === 3 && palette === null) throw new PngError('palette image without a PLTE chunk');

  let raw: Uint8Array;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch (err) {
    throw new PngError(`image data does not decompress: ${(err as Error).message}`);
  }
  const { width, height, bitDepth, colorType } = header;
  const bitsPerPixel = bitDepth * CHANNELS[colorType];
  const rowBytes = Math.ceil((width * bitsPerPixel) / 8);
  const expected = height * (rowBytes + 1);
  if (raw.length < expected) throw new PngError(`image data truncated: ${raw.length} of ${expected} bytes after decompression`);
  const rows = unfilter(raw, height, rowBytes, Math.max(1, bitsPerPixel >> 3));
  const unpacked = unpack(rows, width, height, rowBytes, bitDepth);

  if (colorType === 3) {
    const entries = palette!.length / 3;
    const samples = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) {
      const index = unpacked[i]!;
      if (index >= entries) throw new PngError(`pixel ${i % width},${Math.floor(i / width)} has palette index ${index}, the palette has ${entries} entries`);
      samples[3 * i] = palette![3 * index]!;
      samples[3 * i + 1] = palette![3 * index + 1]!;
      samples[3 * i + 2] = palette![3 * index + 2]!;
    }
    return { width, height, colorType, channels: 3, samples };
  }
  if (colorType === 0 && bitDepth < 8) {
    // libpng's expand_gray_1_2_4_to_8: scale 0..2^d - 1 onto 0..255.
    const scale = 255 / ((1 << bitDepth) - 1);
    for (let i = 0; i < unpacked.length; i++) unpacked[i] = unpacked[i]! * scale;
  }
  return { width, height, colorType, channels: CHANNELS[colorType], samples: unpacked };
}

/**
 * One grey channel, as TensorFlow's decode_png(channels=1) makes it (what LRA's pathfinder
 * pipeline feeds the model): alpha is dropped (not composited) and colour is converted with
 * libpng's rgb_to_gray, (9797 R + 19234 G + 3737 B) >> 15, a grey pixel (R = G = B) kept as is.
 */
export function toGray(image: PngImage): GrayImage {
  const { width, height, channels, samples } = image;
  const n = width * height;
  if (channels === 1) return { width, height, pixels: samples };
  const pixels = new Uint8Array(n);
  if (channels === 2) {
    for (let i = 0; i < n; i++) pixels[i] = samples[2 * i]!;
    return { width, height, pixels };
  }
  for (let i = 0; i < n; i++) {
    const r = samples[channels * i]!;
    const g = samples[channels * i + 1]!;
    const b = samples[channels * i + 2]!;
    pixels[i] = r === g && g === b ? r : (PNG_GRAY_RED * r + PNG_GRAY_GREEN * g + PNG_GRAY_BLUE * b) >> 15;
  }
  return { width, height, pixels };
}

export function decodePngGray(bytes: Uint8Array): GrayImage {
  return toGray(decodePng(bytes));
}
