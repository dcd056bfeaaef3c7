// A reader of TensorBoard events files written from the formats' specifications, sharing no code
// with src/tensorboard: a bug in the writer cannot hide behind the same bug here.
//   TFRecord: uint64 length | uint32 masked crc32c(length) | data | uint32 masked crc32c(data)
//   protobuf: key varint (field << 3 | wire type); 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32
import { readFileSync } from 'node:fs';

/** CRC-32C bit by bit (no table): reflected Castagnoli polynomial 0x82F63B78. */
export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return ~crc >>> 0;
}

export function mask(crc: number): number {
  const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
  return (rotated + 0xa282ead8) % 2 ** 32;
}

/** The data of every record; throws on a bad checksum or a torn record. */
export function readTfRecords(path: string): Uint8Array[] {
  const file = new Uint8Array(readFileSync(path));
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < file.length) {
    if (at + 12 > file.length) throw new Error(`${path}: torn length at ${at}`);
    const length = Number(view.getBigUint64(at, true));
    if (view.getUint32(at + 8, true) !== mask(crc32cBitwise(file.subarray(at, at + 8)))) throw new Error(`${path}: bad length crc at ${at}`);
    const data = file.subarray(at + 12, at + 12 + length);
    if (data.length !== length || at + 16 + length > file.length) throw new Error(`${path}: torn record at ${at}`);
    if (view.getUint32(at + 12 + length, true) !== mask(crc32cBitwise(data))) throw new Error(`${path}: bad data crc at ${at}`);
    records.push(data);
    at += 16 + length;
  }
  return records;
}

export type WireValue = { wire: 0; int: bigint } | { wire: 1; bytes: Uint8Array } | { wire: 2; bytes: Uint8Array } | { wire: 5; bytes: Uint8Array };

/** Every field of a message, by field number, in order. */
export function decodeMessage(bytes: Uint8Array): Map<number, WireValue[]> {
  const fields = new Map<number, WireValue[]>();
  let at = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= bytes.length) throw new Error('varint runs past the message');
      const b = bytes[at++]!;
      result += BigInt(b & 127) << shift;
      if ((b & 128) === 0) return result;
      shift += 7n;
    }
  };
  const take = (n: number): Uint8Array => {
    if (at + n > bytes.length) throw new Error('field runs past the message');
    const out = bytes.slice(at, at + n);
    at += n;
    return out;
  };
  while (at < bytes.length) {
    const key = readVarint();
    const field = Number(key / 8n);
    const wire = Number(key % 8n);
    let value: WireValue;
    if (wire === 0) value = { wire, int: readVarint() };
    else if (wire === 1) value = { wire, bytes: take(8) };
    else if (wire === 2) value = { wire, bytes: take(Number(readVarint())) };
    else if (wire === 5) value = { wire, bytes: take(4) };
    else throw new Error(`wire type ${wire}`);
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

const one = (m: Map<number, WireValue[]>, field: number): WireValue | undefined => m.get(field)?.at(-1);
const text = (v: WireValue | undefined): string | undefined => (v && v.wire === 2 ? new TextDecoder().decode(v.bytes) : undefined);

export interface DecodedValue {
  tag: string;
  simpleValue?: number;
  pluginName?: string;
  dataClass?: number;
  tensor?: { dtype: number; rank: number; strings: string[] };
}

export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: DecodedValue[];
}

/** tensorflow.Event: wall_time 1 (double), step 2 (int64), file_version 3, summary 5. */
export function decodeEvent(bytes: Uint8Array): DecodedEvent {
  const m = decodeMessage(bytes);
  const wall = one(m, 1);
  const step = one(m, 2);
  const event: DecodedEvent = {
    wallTime: wall && wall.wire === 1 ? new DataView(wall.bytes.buffer, wall.bytes.byteOffset, 8).getFloat64(0, true) : 0,
    step: step && step.wire === 0 ? Number(BigInt.asIntN(64, step.int)) : 0,
    values: [],
  };
  const version = text(one(m, 3));
  if (version !== undefined) event.fileVersion = version;
  const summary = one(m, 5);
  if (summary && summary.wire === 2)
    for (const v of decodeMessage(summary.bytes).get(1) ?? []) if (v.wire === 2) event.values.push(decodeValue(v.bytes));
  return event;
}

/** Summary.Value: tag 1, simple_value 2 (float), tensor 8, metadata 9. */
function decodeValue(bytes: Uint8Array): DecodedValue {
  const m = decodeMessage(bytes);
  const value: DecodedValue = { tag: text(one(m, 1)) ?? '' };
  const simple = one(m, 2);
  if (simple && simple.wire === 5) value.simpleValue = new DataView(simple.bytes.buffer, simple.bytes.byteOffset, 4).getFloat32(0, true);
  const metadata = one(m, 9);
  if (metadata && metadata.wire === 2) {
    const md = decodeMessage(metadata.bytes);
    const plugin = one(md, 1);
    if (plugin && plugin.wire === 2) {
      const name = text(one(decodeMessage(plugin.bytes), 1));
      if (name !== undefined) value.pluginName = name;
    }
    const dataClass = one(md, 4);
    if (dataClass && dataClass.wire === 0) value.dataClass = Number(dataClass.int);
  }
  // TensorProto: dtype 1, tensor_shape 2 (dim 2 repeated), string_val 8.
  const tensor = one(m, 8);
  if (tensor && tensor.wire === 2) {
    const t = decodeMessage(tensor.bytes);
    const dtype = one(t, 1);
    const shape = one(t, 2);
    value.tensor = {
      dtype: dtype && dtype.wire === 0 ? Number(dtype.int) : 0,
      rank: shape && shape.wire === 2 ? (decodeMessage(shape.bytes).get(2) ?? []).length : 0,
      strings: (t.get(8) ?? []).map((s) => text(s) ?? ''),
    };
  }
  return value;
}
