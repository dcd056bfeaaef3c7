// Shape utilities shared by the spectral ops.
import * as tf from '@tensorflow/tfjs';

export function lastDim(x: tf.Tensor): number {
  return x.shape[x.shape.length - 1]!;
}

/** Float32 view of the input (the kernels take float32 only). */
export function asFloat32(x: tf.Tensor, op: string): tf.Tensor {
  if (x.rank === 0) throw new Error(`${op}: input must have rank >= 1, got a scalar`);
  return x.dtype === 'float32' ? x : tf.cast(x, 'float32');
}

/** A transform length: a positive integer. */
export function checkLength(n: number, op: string): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${op}: transform length must be a positive integer, got ${n}`);
  return n;
}

/** axis in [-rank, rank) as a non-negative index. */
export function normalizeAxis(axis: number, rank: number, op: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new Error(`${op}: axis ${axis} is out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

function axisLastPerm(rank: number, axis: number): number[] {
  const perm = [...Array(rank).keys()].filter((d) => d !== axis);
  perm.push(axis);
  return perm;
}

/** x with `axis` moved to the end (no-op when it already is). */
export function moveAxisLast(x: tf.Tensor, axis: number): tf.Tensor {
  return axis === x.rank - 1 ? x : tf.transpose(x, axisLastPerm(x.rank, axis));
}

/** Inverse of moveAxisLast. */
export function restoreAxis(x: tf.Tensor, axis: number): tf.Tensor {
  if (axis === x.rank - 1) return x;
  const perm = axisLastPerm(x.rank, axis);
  const inverse = new Array<number>(perm.length);
  perm.forEach((d, i) => (inverse[d] = i));
  return tf.transpose(x, inverse);
}

/** x cut or zero-padded to `length` along the last axis. */
export function fitLastAxis(x: tf.Tensor, length: number): tf.Tensor {
  const m = lastDim(x);
  if (m === length) return x;
  if (m > length) return tf.slice(x, x.shape.map(() => 0), [...x.shape.slice(0, -1), length]);
  return tf.pad(x, [...x.shape.slice(0, -1).map((): [number, number] => [0, 0]), [0, length - m]]);
}

export function checkSameShape(a: tf.Tensor, b: tf.Tensor, op: string): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${op}: re and im must have the same shape, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
}
