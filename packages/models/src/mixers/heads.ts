// What the attention-family mixers share: the query/key/value/output projections as LRA lays them
// out (xavier-uniform kernels, no bias), the [B, N, W] <-> [B*H, N, d] head layouts, rotary
// positions on queries and keys, key masks per head, and a per-layer seed for fixed random draws.
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { dense, type Dense } from '../nn/dense.js';
import { normal, xavierUniform } from '../nn/initializers.js';
import { applyRotary, rotaryTables, type RotaryTables } from '../nn/rotary.js';
import type { MixerArgs } from './types.js';

export interface Projection {
  /** x [B, N, D] -> heads [B*H, N, d], rotated when the mixer uses rotary positions. */
  heads(x: tf.Tensor3D): tf.Tensor3D;
  readonly dense: Dense;
}

export interface HeadLayout {
  readonly heads: number;
  readonly headDim: number;
  /** Width over all heads. */
  readonly width: number;
}

/** [B, N, H*d] -> [B*H, N, d]. */
export function splitHeads(t: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [batch, length, width] = t.shape;
  const headDim = width / heads;
  return tf.reshape(tf.transpose(tf.reshape(t, [batch, length, heads, headDim]), [0, 2, 1, 3]), [
    batch * heads,
    length,
    headDim,
  ]);
}

/** [B*H, N, d] -> [B, N, H*d]. */
export function mergeHeads(t: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [batchHeads, length, headDim] = t.shape;
  const batch = batchHeads / heads;
  return tf.reshape(tf.transpose(tf.reshape(t, [batch, heads, length, headDim]), [0, 2, 1, 3]), [
    batch,
    length,
    heads * headDim,
  ]);
}

/** mask [B, N] -> [B*H, N, 1] (one copy per head), for weighting keys. */
export function keyMaskPerHead(mask: tf.Tensor2D, heads: number): tf.Tensor3D {
  const [batch, length] = mask.shape;
  return tf.reshape(tf.tile(tf.reshape(mask, [batch, 1, length]), [1, heads, 1]), [batch * heads, length, 1]);
}

/** Throws when a mask does not have the input's [B, N]. */
export function checkMask(name: string, x: tf.Tensor3D, mask: tf.Tensor2D | null): void {
  if (mask && (mask.shape[0] !== x.shape[0] || mask.shape[1] !== x.shape[1])) {
    throw new Error(`${name}: mask shape [${mask.shape}] does not match input [${x.shape[0]}, ${x.shape[1]}]`);
  }
}

/** Rotary tables for a head width, made once per length seen. */
export function rotaryCache(headDim: number): (length: number) => RotaryTables {
  const cache = new Map<number, RotaryTables>();
  return (length) => {
    let tables = cache.get(length);
    if (!tables) {
      tables = rotaryTables(length, headDim);
      cache.set(length, tables);
    }
    return tables;
  };
}

/**
 * A bias-free (unless asked) xavier-uniform projection D -> width named `name`, whose heads() view
 * splits heads and, with `rotate`, applies rotary positions (interleaved pairs) per head.
 */
export function headProjection(
  args: MixerArgs,
  name: string,
  layout: HeadLayout,
  options: { rotate?: boolean; bias?: boolean } = {},
): Projection {
  const projection = dense(args.params, name, {
    inputDim: args.dModel,
    units: layout.width,
    bias: options.bias ?? false,
    kernelInit: xavierUniform(),
    biasInit: normal(1e-6),
  });
  const tables = options.rotate ? rotaryCache(layout.headDim) : null;
  return {
    dense: projection,
    heads(x) {
      return tf.tidy(() => {
        const [batch, length] = x.shape;
        const projected = projection.apply(x);
        if (!tables) return splitHeads(projected, layout.heads);
        const rotated = applyRotary(
          tf.reshape(projected, [batch, length, layout.heads, layout.headDim]) as tf.Tensor4D,
          tables(length),
        );
        return tf.reshape(tf.transpose(rotated, [0, 2, 1, 3]), [batch * layout.heads, length, layout.headDim]);
      });
    },
  };
}

/** The output projection width -> D, applied to merged heads [B*H, N, d]. */
export function outputProjection(args: MixerArgs, layout: HeadLayout, bias = false): (heads: tf.Tensor3D) => tf.Tensor3D {
  const projection = dense(args.params, 'output', {
    inputDim: layout.width,
    units: args.dModel,
    bias,
    kernelInit: xavierUniform(),
    biasInit: normal(1e-6),
  });
  return (heads) => tf.tidy(() => projection.apply(mergeHeads(heads, layout.heads)));
}

/** Head layout for a width (null: dModel); headLayoutProblem says whether it is valid. */
export function headLayout(args: Pick<MixerArgs, 'dModel' | 'heads'>, width: number | null): HeadLayout {
  const w = width ?? args.dModel;
  return { heads: args.heads, headDim: w / args.heads, width: w };
}

export function headLayoutProblem(
  args: Pick<MixerArgs, 'dModel' | 'heads' | 'rope'>,
  width: number | null,
  what = 'qkvDim',
): string | null {
  const w = width ?? args.dModel;
  if (!Number.isInteger(w) || w <= 0) return `${what} must be a positive integer, got ${w}`;
  if (w % args.heads !== 0) return `${what} ${w} is not divisible by ${args.heads} heads`;
  if (args.rope && (w / args.heads) % 2 !== 0) {
    return `rope needs an even head width; ${what} ${w} / ${args.heads} heads = ${w / args.heads}`;
  }
  return null;
}

/**
 * A generator for draws a mixer fixes per layer (random blocks, random features): keyed by the
 * model's seed (when the encoder passes one), the parameter scope (which names the layer) and a
 * purpose, so layers and models differ and a rebuilt model draws the same values.
 */
export function layerRandom(args: MixerArgs, purpose: string): seedrandom.PRNG {
  return seedrandom.alea(`${args.seed ?? 1}/${args.params.prefix}/layer${args.layer}/${purpose}`);
}
