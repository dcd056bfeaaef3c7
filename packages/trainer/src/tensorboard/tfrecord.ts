import { maskedCrc32c } from './crc32c.js';

/**
 * One TFRecord: uint64 length | masked CRC-32C of those 8 bytes | data | masked CRC-32C of the
 * data, all little-endian. The length's own checksum lets a reader tell a torn length from a
 * real one before it trusts it.
 */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}
