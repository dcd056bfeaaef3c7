/**
 * The safetensors format (huggingface/safetensors), write side:
 *   u64 little-endian N | N bytes of JSON header | the tensors' bytes, back to back
 * The header maps each tensor's name to {dtype, shape, data_offsets [begin, end)} (offsets into
 * the bytes after the header) and holds string-to-string "__metadata__". It is padded with spaces
 * so the data starts 8-byte aligned: readers may then map the file and view it in place.
 */
import { endianness } from 'node:os';

export interface NamedTensor {
  name: string;
  shape: readonly number[];
  values: Float32Array;
}

const METADATA_KEY = '__metadata__';

export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string>): Buffer {
  const header: Record<string, unknown> = { [METADATA_KEY]: metadata };
  let offset = 0;
  for (const t of tensors) {
    if (t.name === METADATA_KEY) throw new Error(`a tensor may not be named ${METADATA_KEY}`);
    if (t.name in header) throw new Error(`two tensors named ${t.name}`);
    const size = t.shape.reduce((n, d) => n * d, 1);
    if (size !== t.values.length) throw new Error(`${t.name}: ${t.values.length} values for shape [${t.shape.join(', ')}]`);
    header[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + t.values.byteLength] };
    offset += t.values.byteLength;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = Buffer.alloc(8 + headerLength + offset, 0x20);
  out.writeBigUInt64LE(BigInt(headerLength), 0);
  json.copy(out, 8);
  let at = 8 + headerLength;
  for (const t of tensors) {
    littleEndianBytes(t.values).copy(out, at);
    at += t.values.byteLength;
  }
  return out;
}

/** The values' bytes in little-endian order, whatever the machine's order. */
function littleEndianBytes(values: Float32Array): Buffer {
  if (endianness() === 'LE') return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const out = Buffer.alloc(values.byteLength);
  values.forEach((v, i) => out.writeFloatLE(v, i * 4));
  return out;
}
