/**
 * The protobuf wire format, write side only, for the few message shapes an event file needs.
 * Fields are written in the order they are added; a nested message is encoded first and then
 * added as a length-delimited field, so every length is known when it is written.
 */
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  /** A double field (wire type 1, little-endian IEEE 754). */
  double(field: number, value: number): this {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    return this.key(field, WIRE_FIXED64).push(bytes);
  }

  /** A float field (wire type 5): the value is rounded to float32. */
  float(field: number, value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return this.key(field, WIRE_FIXED32).push(bytes);
  }

  /** An int32, int64 or enum field (varint; negatives as 64-bit two's complement). */
  int(field: number, value: number | bigint): this {
    return this.key(field, WIRE_VARINT).push(varint(BigInt.asUintN(64, BigInt(value))));
  }

  /** A string field, UTF-8. */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** A bytes field, or an embedded message already encoded. */
  bytes(field: number, value: Uint8Array): this {
    return this.key(field, WIRE_LENGTH_DELIMITED).push(varint(BigInt(value.length))).push(value);
  }

  /** An embedded message. */
  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  private key(field: number, wireType: number): this {
    return this.push(varint(BigInt(field) * 8n + BigInt(wireType)));
  }

  private push(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.length += bytes.length;
    return this;
  }
}

/** Base-128 varint, least significant group first. */
function varint(value: bigint): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}
