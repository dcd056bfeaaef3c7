import { ProtoWriter } from './protobuf-writer.js';

/**
 * Serialized tensorflow.Event messages (tensorflow/core/util/event.proto and
 * tensorboard/compat/proto/summary.proto), only the fields this project writes. Field numbers:
 *   Event          wall_time 1 (double), step 2 (int64), file_version 3, summary 5
 *   Summary        value 1 (repeated)
 *   Summary.Value  tag 1, simple_value 2 (float), tensor 8, metadata 9
 *   SummaryMetadata  plugin_data 1 {plugin_name 1}, data_class 4
 *   TensorProto    dtype 1, tensor_shape 2, string_val 8
 */

/** What the first event of every file says, so readers know the Event schema's generation. */
export const FILE_VERSION = 'brain.Event:2';

const DT_STRING = 7;
const DATA_CLASS_TENSOR = 2;

export interface Scalar {
  tag: string;
  value: number;
}

export function fileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter().double(1, wallTime).int(2, 0).string(3, FILE_VERSION).finish();
}

/**
 * Scalars as `simple_value`: every TensorBoard reader takes it (the Python loader and the Rust
 * data server both turn it into a series of the scalars plugin themselves), and it is the smallest
 * encoding. The scalars plugin's tensor form holds float32 too (the Rust server takes only
 * DT_FLOAT tensors), so it would keep no more precision.
 */
export function scalarsEvent(wallTime: number, step: number, scalars: readonly Scalar[]): Uint8Array {
  const summary = new ProtoWriter();
  for (const { tag, value } of scalars) summary.message(1, new ProtoWriter().string(1, tag).float(2, value));
  return new ProtoWriter().double(1, wallTime).int(2, step).message(5, summary).finish();
}

/**
 * A text summary: a rank-0 DT_STRING tensor whose metadata names the 'text' plugin (which renders
 * it as Markdown). The data class is given, so no reader has to guess it from the plugin name.
 */
export function textEvent(wallTime: number, step: number, tag: string, markdown: string): Uint8Array {
  const tensor = new ProtoWriter().int(1, DT_STRING).message(2, new ProtoWriter()).string(8, markdown);
  const metadata = new ProtoWriter().message(1, new ProtoWriter().string(1, 'text')).int(4, DATA_CLASS_TENSOR);
  const value = new ProtoWriter().string(1, tag).message(8, tensor).message(9, metadata);
  return new ProtoWriter().double(1, wallTime).int(2, step).message(5, new ProtoWriter().message(1, value)).finish();
}
