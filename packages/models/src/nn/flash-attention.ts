// Softmax attention computed in blocks of queries and keys with an online softmax (FlashAttention,
// Dao et al. 2022): the [B*H, N, N] weights are never held whole, only [B*H, Bq, Bk] blocks.
// Each block's softmax is wasm's own (XNNPACK's vectorised exp: measured here about 3 ns an
// element, against 13 ns for Math.exp in JavaScript or tfjs's Exp kernel), taken within the block; with several key blocks per row,
// the row's blocks are combined by their maxima m_b and sums l_b (l_b = 1 / max of the block's
// softmax, which is exp(0) / l_b), as the online softmax does. The forward keeps the output O and,
// per row and key block, the factor c_b = l_b exp(m_b - m) / l that turns the block's own
// softmax into its part of the row's (m, l: the row's maximum and sum); the backward recomputes
// each block: P = softmax_b(S) c_b, D = rowsum(dO O), dV += (P M)^T dO, dS = P (dO V^T M - D),
// dQ += dS K, dK^T += Q^T dS, M the dropout mask scaled by 1 / (1 - rate).
// Memory is O(N d) plus a few blocks; the work is the dense path's plus one more Q K^T product.
import * as tf from '@tensorflow/tfjs';
import { type AttentionBlockAttrs } from '../backend/fused/attention-dropout-block.js';
import { attentionBlockDropout, attentionBlockDropoutPair } from './attention-block-dropout.js';

export interface BlockedAttentionDropout {
  rate: number;
  seed: number;
  /** The pass's first example in the step's whole batch (ctx.examples.offset, else 0). */
  exampleOffset: number;
}

export interface BlockedAttentionOptions {
  /** H: key bias rows and dropout examples are per B = B*H / H examples. */
  heads: number;
  /** Queries and keys per block (the last block of each may be shorter). */
  queryBlock: number;
  keyBlock: number;
  dropout: BlockedAttentionDropout | null;
}

/** [start, size] of each block of `size` over `length`. */
function blocksOf(length: number, size: number): Array<[number, number]> {
  const blocks: Array<[number, number]> = [];
  for (let start = 0; start < length; start += size) blocks.push([start, Math.min(size, length - start)]);
  return blocks;
}

/** Replaces `old` by `next`, disposing `old`: running sums would otherwise pile up until the scope ends. */
function swap<T extends tf.Tensor | null>(old: T, next: T): T {
  if (old) old.dispose();
  return next;
}

/** Positions start .. start + size - 1 along axis `axis` (a new tensor, disposable on its own). */
function part<T extends tf.Tensor>(t: T, axis: number, start: number, size: number): T {
  if (start === 0 && size === t.shape[axis]) return tf.clone(t) as T;
  const begin = t.shape.map((_, i) => (i === axis ? start : 0));
  return tf.slice(t, begin, t.shape.map((s, i) => (i === axis ? size : s))) as T;
}

/** Concatenation along `axis`, the parts disposed. */
function join<T extends tf.Tensor>(parts: T[], axis: number): T {
  if (parts.length === 1) return parts[0]!;
  const whole = tf.concat(parts, axis) as T;
  tf.dispose(parts);
  return whole;
}

interface KeyBlocks {
  blocks: Array<[number, number]>;
  kT: tf.Tensor3D[];
  v: tf.Tensor3D[];
  /**
   * The key bias of each block, one copy per head [B*H, 1, Bk] (null without a mask): a 3-D
   * broadcast over rows is a fast path of wasm's Add, the 4-D one over heads and rows measured
   * ten times slower.
   */
  bias: Array<tf.Tensor3D | null>;
}

function keyBlocksOf(kT: tf.Tensor3D, v: tf.Tensor3D, bias: tf.Tensor2D | null, keyBlock: number, heads: number): KeyBlocks {
  const [bh, , n] = kT.shape;
  const blocks = blocksOf(n, keyBlock);
  const perHead = bias ? tf.tidy(() => tf.reshape(tf.tile(tf.reshape(bias, [bh / heads, 1, n]), [1, heads, 1]), [bh, 1, n]) as tf.Tensor3D) : null;
  const keys = {
    blocks,
    kT: blocks.map(([s, size]) => part(kT, 2, s, size)),
    v: blocks.map(([s, size]) => part(v, 1, s, size)),
    bias: blocks.map(([s, size]) => (perHead ? part(perHead, 2, s, size) : null)),
  };
  perHead?.dispose();
  return keys;
}

function disposeKeyBlocks(keys: KeyBlocks): void {
  tf.dispose([...keys.kT, ...keys.v, ...keys.bias.filter((b): b is tf.Tensor3D => b !== null)]);
}

/** The block's scores with the key bias added, [B*H, Bq, Bk]. */
function blockScores(qi: tf.Tensor3D, kTj: tf.Tensor3D, bias: tf.Tensor3D | null): tf.Tensor3D {
  const scores = tf.matMul(qi, kTj) as tf.Tensor3D;
  return bias ? tf.add(scores, bias) : scores;
}

/**
 * softmax(Q K^T + bias) V per head, with dropout on the weights: q [BH, M, d] (already scaled
 * and rotated), kT [BH, d, N], v [BH, N, d], keyBias [B, N] (0 or MASKED_SCORE per key; null: no
 * mask). Returns [BH, M, d], equal to the dense computation with the dense path's dropout mask
 * over the [BH, M, N] weights.
 */
export function blockedAttention(
  q: tf.Tensor3D,
  kT: tf.Tensor3D,
  v: tf.Tensor3D,
  keyBias: tf.Tensor2D | null,
  options: BlockedAttentionOptions,
): tf.Tensor3D {
  const [bh, m] = q.shape;
  const n = kT.shape[2];
  const { heads } = options;
  if (kT.shape[1] !== q.shape[2] || v.shape[1] !== n || kT.shape[0] !== bh || v.shape[0] !== bh) {
    throw new Error(`blockedAttention: q [${q.shape}], kT [${kT.shape}] and v [${v.shape}] do not match`);
  }
  if (keyBias && (keyBias.shape[0] * heads !== bh || keyBias.shape[1] !== n)) {
    throw new Error(`blockedAttention: key bias [${keyBias.shape}] does not match ${bh / heads} examples of ${n} keys`);
  }
  if (!(Number.isInteger(options.queryBlock) && options.queryBlock >= 1 && Number.isInteger(options.keyBlock) && options.keyBlock >= 1)) {
    throw new Error(`blockedAttention: block sizes must be positive integers, got ${options.queryBlock} and ${options.keyBlock}`);
  }
  const drop = options.dropout && options.dropout.rate > 0 ? options.dropout : null;
  const attrsFor = (queryStart: number, keyStart: number): AttentionBlockAttrs => ({
    heads, queries: m, keys: n, queryStart, keyStart, rate: drop?.rate ?? 0, seed: drop?.seed ?? 1, exampleOffset: drop?.exampleOffset ?? 0,
  });
  const queryBlocks = blocksOf(m, options.queryBlock);

  /** One query block: its output [BH, Bq, d] and, with several key blocks, each one's factor c_b [BH, Bq, nk]. */
  /** The block's dropped softmax weights and their product with the values. */
  const blockForward = (qi: tf.Tensor3D, qStart: number, keys: KeyBlocks, j: number): { scores: tf.Tensor3D; weights: tf.Tensor3D; mixed: tf.Tensor3D } => {
    const scores = blockScores(qi, keys.kT[j]!, keys.bias[j]!);
    const weights = tf.softmax(scores) as tf.Tensor3D;
    const dropped = drop ? attentionBlockDropout(weights, attrsFor(qStart, keys.blocks[j]![0])) : weights;
    return { scores, weights, mixed: tf.matMul(dropped, keys.v[j]!) as tf.Tensor3D };
  };

  /** One query block: its output [BH, Bq, d] and, with several key blocks, each one's factor c_b [BH, Bq, nk]. */
  const forwardRows = (qi: tf.Tensor3D, qStart: number, keys: KeyBlocks): { out: tf.Tensor3D; factors: tf.Tensor3D | null } => {
    // Every key in one block: the block's softmax is the row's.
    if (keys.blocks.length === 1) return { out: tf.tidy(() => blockForward(qi, qStart, keys, 0).mixed), factors: null };
    let max: tf.Tensor2D | null = null;
    let sum: tf.Tensor2D | null = null;
    let acc: tf.Tensor3D | null = null;
    const blockStats: Array<{ max: tf.Tensor2D; sum: tf.Tensor2D }> = [];
    for (let j = 0; j < keys.blocks.length; j++) {
      const [oldMax, oldSum, oldAcc] = [max, sum, acc] as [tf.Tensor2D | null, tf.Tensor2D | null, tf.Tensor3D | null];
      const next: { max: tf.Tensor2D; sum: tf.Tensor2D; acc: tf.Tensor3D; blockMax: tf.Tensor2D; blockSum: tf.Tensor2D } = tf.tidy(() => {
        const { scores, weights, mixed } = blockForward(qi, qStart, keys, j);
        // The block's own maximum and sum: its softmax is exp(s - m_b) / l_b, largest exactly 1 / l_b.
        const blockMax = tf.max(scores, -1) as tf.Tensor2D;
        const blockSum = tf.reciprocal(tf.max(weights, -1)) as tf.Tensor2D;
        const unnormalised = tf.mul(mixed, tf.expandDims(blockSum, 2)) as tf.Tensor3D;
        // Copies: the running max and sum are replaced (disposed) later, the block's own are kept.
        if (!oldMax || !oldSum || !oldAcc) return { max: tf.clone(blockMax), sum: tf.clone(blockSum), acc: unnormalised, blockMax, blockSum };
        const newMax = tf.maximum(oldMax, blockMax) as tf.Tensor2D;
        const keep = tf.exp(tf.sub(oldMax, newMax));
        const add = tf.exp(tf.sub(blockMax, newMax));
        return {
          max: newMax,
          sum: tf.add(tf.mul(oldSum, keep), tf.mul(blockSum, add)) as tf.Tensor2D,
          acc: tf.add(tf.mul(oldAcc, tf.expandDims(keep, 2)), tf.mul(unnormalised, tf.expandDims(add, 2))) as tf.Tensor3D,
          blockMax,
          blockSum,
        };
      });
      max = swap(oldMax, next.max);
      sum = swap(oldSum, next.sum);
      acc = swap(oldAcc, next.acc);
      blockStats.push({ max: next.blockMax, sum: next.blockSum });
    }
    const [rowMax, rowSum, unnormalised] = [max!, sum!, acc!];
    const result = tf.tidy(() => ({
      out: tf.div(unnormalised, tf.expandDims(rowSum, 2)) as tf.Tensor3D,
      // c_b = l_b exp(m_b - m) / l: block b's softmax times c_b is its part of the row's softmax.
      factors: tf.stack(blockStats.map((b) => tf.div(tf.mul(b.sum, tf.exp(tf.sub(b.max, rowMax))), rowSum)), 2) as tf.Tensor3D,
    }));
    tf.dispose([rowMax, rowSum, unnormalised, ...blockStats.flatMap((b) => [b.max, b.sum])]);
    return result;
  };

  const backward = (
    dOut: tf.Tensor3D, qS: tf.Tensor3D, kTS: tf.Tensor3D, vS: tf.Tensor3D, biasS: tf.Tensor2D | null, outS: tf.Tensor3D, factorsS: tf.Tensor3D | null,
  ): tf.Tensor[] => {
    const delta = tf.expandDims(tf.sum(tf.mul(dOut, outS), -1), 2) as tf.Tensor3D;
    const keys = keyBlocksOf(kTS, vS, biasS, options.keyBlock, heads);
    const dkT: Array<tf.Tensor3D | null> = keys.blocks.map(() => null);
    const dv: Array<tf.Tensor3D | null> = keys.blocks.map(() => null);
    const dq: tf.Tensor3D[] = [];
    for (const [qStart, qSize] of queryBlocks) {
      const [qi, dOi, deltai] = [qS, dOut, delta].map((t) => part(t, 1, qStart, qSize)) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
      const factorsi = factorsS ? part(factorsS, 1, qStart, qSize) : null;
      let dqi: tf.Tensor3D | null = null;
      for (let j = 0; j < keys.blocks.length; j++) {
        const oldDq: tf.Tensor3D | null = dqi;
        const next: { dq: tf.Tensor3D; dkT: tf.Tensor3D; dv: tf.Tensor3D } = tf.tidy(() => {
          const own = tf.softmax(blockScores(qi, keys.kT[j]!, keys.bias[j]!)) as tf.Tensor3D;
          const weights = factorsi ? (tf.mul(own, part(factorsi, 2, j, 1)) as tf.Tensor3D) : own;
          const dWeights = tf.matMul(dOi, keys.v[j]!, false, true) as tf.Tensor3D;
          const [dropped, dDropped] = drop ? attentionBlockDropoutPair(weights, dWeights, attrsFor(qStart, keys.blocks[j]![0])) : [weights, dWeights];
          const dScores = tf.mul(weights, tf.sub(dDropped, deltai)) as tf.Tensor3D;
          const dqPart = tf.matMul(dScores, keys.kT[j]!, false, true);
          const dkTPart = tf.matMul(qi, dScores, true, false);
          const dvPart = tf.matMul(dropped, dOi, true, false);
          return {
            dq: (oldDq ? tf.add(oldDq, dqPart) : dqPart) as tf.Tensor3D,
            dkT: (dkT[j] ? tf.add(dkT[j]!, dkTPart) : dkTPart) as tf.Tensor3D,
            dv: (dv[j] ? tf.add(dv[j]!, dvPart) : dvPart) as tf.Tensor3D,
          };
        });
        dqi = swap(oldDq, next.dq);
        dkT[j] = swap(dkT[j]!, next.dkT);
        dv[j] = swap(dv[j]!, next.dv);
      }
      tf.dispose([qi, dOi, deltai, ...(factorsi ? [factorsi] : [])]);
      dq.push(dqi!);
    }
    disposeKeyBlocks(keys);
    delta.dispose();
    return [join(dq, 1), join(dkT as tf.Tensor3D[], 2), join(dv as tf.Tensor3D[], 1)];
  };

  const attend = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [qIn, kTIn, vIn, biasIn] = args.slice(0, -1) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor2D | undefined];
    const keys = keyBlocksOf(kTIn, vIn, biasIn ?? null, options.keyBlock, heads);
    const outputs: tf.Tensor3D[] = [];
    const factors: tf.Tensor3D[] = [];
    for (const [qStart, qSize] of queryBlocks) {
      const qi = part(qIn, 1, qStart, qSize);
      const rows = forwardRows(qi, qStart, keys);
      qi.dispose();
      outputs.push(rows.out);
      if (rows.factors) factors.push(rows.factors);
    }
    disposeKeyBlocks(keys);
    const out = join(outputs, 1);
    const factorsAll = factors.length > 0 ? join(factors, 1) : null;
    // Saved: the inputs, O and the block factors, all O(N d) or O(N N / Bk).
    save([qIn, kTIn, vIn, out, ...(factorsAll ? [factorsAll] : []), ...(biasIn ? [biasIn] : [])]);
    if (factorsAll) factorsAll.dispose();
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [qS, kTS, vS, outS] = saved as tf.Tensor3D[];
        const factorsS = factorsAll ? (saved[4] as tf.Tensor3D) : null;
        const biasS = biasIn ? (saved[saved.length - 1] as tf.Tensor2D) : null;
        return tf.tidy(() => {
          const grads = backward(dy as tf.Tensor3D, qS!, kTS!, vS!, biasS, outS!, factorsS);
          return biasIn ? [...grads, tf.zerosLike(biasIn)] : grads;
        });
      },
    };
  });

  return (keyBias ? attend(q, kT, v, keyBias) : attend(q, kT, v)) as tf.Tensor3D;
}
