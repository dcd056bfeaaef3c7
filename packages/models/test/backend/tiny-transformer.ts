import * as tf from '@tensorflow/tfjs';
import { normalArray } from './numeric.js';

// A pre-LN transformer classifier written from raw tf ops, so that a gradient step exercises
// every kernel such a model needs: embedding by gather, layer norm by moments, multi-head softmax
// attention with a -1e9 padding mask, GELU by erf, seeded dropout, CLS and mean pooling, and
// softmax cross-entropy.

export interface TinyTransformerSize {
  batch: number;
  length: number;
  dModel: number;
  heads: number;
  mlp: number;
  vocab: number;
  classes: number;
}

// Big enough that the position-wise products run on XNNPACK, small enough that attention's
// per-head products take the backend's loop: both paths of the wasm BatchMatMul are exercised.
export const TINY: TinyTransformerSize = {
  batch: 3, length: 12, dModel: 16, heads: 2, mlp: 32, vocab: 13, classes: 4,
};

/** Parameter values as plain arrays, so that each backend builds identical variables. */
export function tinyTransformerValues(size: TinyTransformerSize): Record<string, { shape: number[]; values: Float32Array }> {
  const { length, dModel: d, mlp, vocab, classes } = size;
  const shapes: Record<string, number[]> = {
    embedding: [vocab, d], position: [length, d],
    norm1Scale: [d], norm1Shift: [d], qkv: [d, 3 * d], qkvBias: [3 * d], out: [d, d],
    norm2Scale: [d], norm2Shift: [d], mlpIn: [d, mlp], mlpInBias: [mlp], mlpOut: [mlp, d],
    head: [2 * d, classes], headBias: [classes],
  };
  const values: Record<string, { shape: number[]; values: Float32Array }> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const count = shape.reduce((a, b) => a * b, 1);
    const base = name.endsWith('Scale') ? 1 : 0;
    const random = normalArray(name, count, 0.3);
    values[name] = { shape, values: random.map((v) => base + v) };
  }
  return values;
}

export type TinyTransformerParams = Record<string, tf.Variable>;

function matrix(params: TinyTransformerParams, name: string): tf.Tensor2D {
  return params[name] as tf.Tensor2D;
}

let modelsMade = 0;

export function makeVariables(size: TinyTransformerSize): TinyTransformerParams {
  // Variable names are global in tfjs: each model gets its own prefix.
  const prefix = `tiny${++modelsMade}`;
  const params: TinyTransformerParams = {};
  for (const [name, { shape, values }] of Object.entries(tinyTransformerValues(size))) {
    params[name] = tf.variable(tf.tensor(values, shape), true, `${prefix}/${name}`);
  }
  return params;
}

export interface TinyBatch {
  tokens: tf.Tensor2D;
  mask: tf.Tensor2D;
  labels: tf.Tensor2D;
}

/** Deterministic tokens with trailing padding (id 0, mask 0) of different lengths per row. */
export function makeBatch(size: TinyTransformerSize): TinyBatch {
  const { batch, length, vocab, classes } = size;
  const tokens = new Int32Array(batch * length);
  const mask = new Float32Array(batch * length);
  const labels = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const valid = length - (b % 3);
    for (let i = 0; i < length; i++) {
      const inside = i < valid;
      tokens[b * length + i] = inside ? 1 + ((b * 7 + i * 5) % (vocab - 1)) : 0;
      mask[b * length + i] = inside ? 1 : 0;
    }
    labels[b] = (b * 3 + 1) % classes;
  }
  return {
    tokens: tf.tensor2d(tokens, [batch, length], 'int32'),
    mask: tf.tensor2d(mask, [batch, length]),
    labels: tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat() as tf.Tensor2D,
  };
}

function layerNorm(x: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).div(variance.add(1e-5).sqrt()).mul(scale).add(shift);
}

// tfjs 4.22's BatchMatMul gradient does not sum over broadcast batch dimensions (the gradient of
// a [D, F] weight comes back [B, D, F]), so position-wise layers fold the batch into the rows.
function dense(x: tf.Tensor, weight: tf.Tensor2D): tf.Tensor {
  const [inputs, outputs] = weight.shape;
  const rows = x.shape.slice(0, -1);
  return tf.matMul(x.reshape([-1, inputs]), weight).reshape([...rows, outputs]);
}

function gelu(x: tf.Tensor): tf.Tensor {
  return x.mul(0.5).mul(tf.erf(x.div(Math.SQRT2)).add(1));
}

function dropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor {
  const keep = tf.randomUniform(x.shape, 0, 1, 'float32', seed).greaterEqual(rate).toFloat();
  return x.mul(keep).div(1 - rate);
}

/** Softmax attention over x [B, N, D] with key padding mask [B, N]; returns the attention
 *  output [B, N, D] before the output projection. */
export function attention(
  x: tf.Tensor3D, mask: tf.Tensor2D, qkv: tf.Tensor2D, qkvBias: tf.Tensor, heads: number,
  dropoutRate: number, dropoutSeed: number,
): tf.Tensor3D {
  const [batch, length, d] = x.shape;
  const perHead = d / heads;
  const projected = dense(x, qkv).add(qkvBias);
  const split = projected.reshape([batch, length, 3, heads, perHead]).transpose([2, 0, 3, 1, 4]);
  const [q, k, v] = tf.unstack(split) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  const padding = tf.sub(1, mask).mul(-1e9).reshape([batch, 1, 1, length]);
  const scores = tf.matMul(q, k, false, true).mul(1 / Math.sqrt(perHead)).add(padding);
  const weights = dropout(tf.softmax(scores), dropoutRate, dropoutSeed);
  return tf.matMul(weights, v).transpose([0, 2, 1, 3]).reshape([batch, length, d]);
}

/** Mean cross-entropy of the classifier on one batch; dropout masks drawn from `seed`. */
export function tinyTransformerLoss(
  params: TinyTransformerParams, batch: TinyBatch, size: TinyTransformerSize, seed: number,
): tf.Scalar {
  const p = params;
  let x = tf.gather(p['embedding'], batch.tokens).add(p['position']) as tf.Tensor3D;
  const attended = attention(
    layerNorm(x, p['norm1Scale'], p['norm1Shift']) as tf.Tensor3D, batch.mask,
    matrix(p, 'qkv'), p['qkvBias'], size.heads, 0.1, seed,
  );
  x = x.add(dense(attended, matrix(p, 'out'))) as tf.Tensor3D;
  const hidden = gelu(dense(layerNorm(x, p['norm2Scale'], p['norm2Shift']), matrix(p, 'mlpIn')).add(p['mlpInBias']));
  x = x.add(dropout(dense(hidden, matrix(p, 'mlpOut')), 0.1, seed + 1)) as tf.Tensor3D;
  const cls = x.slice([0, 0, 0], [-1, 1, -1]).reshape([size.batch, size.dModel]);
  const weights = batch.mask.expandDims(-1);
  const mean = x.mul(weights).sum(1).div(weights.sum(1));
  const features = tf.concat([cls, mean], 1) as tf.Tensor2D;
  const logits = tf.fused.matMul({ a: features, b: matrix(p, 'head'), bias: p['headBias'] });
  return tf.losses.softmaxCrossEntropy(batch.labels, logits) as tf.Scalar;
}
