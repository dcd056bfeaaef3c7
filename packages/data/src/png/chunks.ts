import { crc32 } from 'node:zlib';
import { PngError } from './errors.js';

export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

export interface PngChunk {
  type: string;
  data: Uint8Array;
  /** Byte offset of the chunk's length field in the file, for error messages. */
  offset: number;
}

function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function isLetter(b: number): boolean {
  return (b >= 65 && b <= 90) || (b >= 97 && b <= 122);
}

/**
 * Splits a PNG file into its chunks, checking the signature, every chunk's bounds and CRC, and
 * that the file ends with IEND. Bytes after IEND are ignored, as libpng ignores them.
 */
export function readPngChunks(bytes: Uint8Array): PngChunk[] {
  if (bytes.length === 0) throw new PngError('empty file');
  if (bytes.length < PNG_SIGNATURE.length || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new PngError('not a PNG file (bad signature)');
  }
  const chunks: PngChunk[] = [];
  let at = PNG_SIGNATURE.length;
  for (;;) {
    if (at + 12 > bytes.length) {
      throw new PngError(`truncated at byte ${at}: ${chunks.length === 0 ? 'no chunks' : `no IEND chunk after ${chunks.at(-1)!.type}`}`);
    }
    const length = readUint32(bytes, at);
    const typeBytes = bytes.subarray(at + 4, at + 8);
    if (!typeBytes.every(isLetter)) throw new PngError(`invalid chunk type at byte ${at}`);
    const type = String.fromCharCode(...typeBytes);
    if (length > 0x7fffffff || at + 12 + length > bytes.length) {
      throw new PngError(`truncated: chunk ${type} at byte ${at} declares ${length} bytes, the file has ${Math.max(0, bytes.length - at - 12)} left`);
    }
    const data = bytes.subarray(at + 8, at + 8 + length);
    const stored = readUint32(bytes, at + 8 + length);
    const computed = crc32(bytes.subarray(at + 4, at + 8 + length)) >>> 0;
    if (stored !== computed) {
      throw new PngError(`bad CRC in chunk ${type} at byte ${at} (stored ${hex(stored)}, computed ${hex(computed)})`);
    }
    chunks.push({ type, data, offset: at });
    at += 12 + length;
    if (type === 'IEND') return chunks;
  }
}

function hex(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

/** One chunk as bytes: length, type, data, CRC of type and data. */
export function encodePngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)) >>> 0);
  return out;
}
