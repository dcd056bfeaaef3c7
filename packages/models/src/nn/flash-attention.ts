// Softmax attention computed in blocks of queries and keys with an online softmax (FlashAttention,
// Dao et al. 2022): the [B*H, N, N] weights are never held whole, only one [B*H, Bq, Bk] block at
// a time. The forward keeps the output O and the row maximum m and sum l (the log-sum-exp
// L = m + log l, kept in two parts: see attention-block.ts); the backward recomputes each block's
// weights: D = rowsum(dO O), P = exp(S - m) / l, dV += (P M)^T dO,
// dS = P (dO V^T M - D), dQ += dS K, dK^T += Q^T dS, with M the dropout mask scaled by 1/(1-rate).
// Memory is O(N d) plus one block; the work is the dense path's plus one more Q K^T product.
import * as tf from '@tensorflow/tfjs';
import {
  ATTENTION_BLOCK_BACKWARD_KERNEL,
  ATTENTION_BLOCK_FORWARD_KERNEL,
  type AttentionBlockAttrs,
} from '../backend/fused/attention-block.js';
import { activeBackendHas } from '../backend/fused/register.js';

export interface BlockedAttentionDropout {
  rate: number;
  seed: number;
  /** The pass's first example in the step's whole batch (ctx.examples.offset, else 0). */
  exampleOffset: number;
}

export interface BlockedAttentionOptions {
  heads: number;
  /** Queries and keys per block (the last block of each may be shorter). */
  queryBlock: number;
  keyBlock: number;
  dropout: BlockedAttentionDropout | null;
}

/** Whether the active backend has the block kernels (cpu and wasm do). */
export function blockedAttentionAvailable(): boolean {
  return activeBackendHas(ATTENTION_BLOCK_FORWARD_KERNEL) && activeBackendHas(ATTENTION_BLOCK_BACKWARD_KERNEL);
}

/** [start, size] of each block of `size` over `length`. */
function blocksOf(length: number, size: number): Array<[number, number]> {
  const blocks: Array<[number, number]> = [];
  for (let start = 0; start < length; start += size) blocks.push([start, Math.min(size, length - start)]);
  return blocks;
}

/** Replaces `old` by `next`, disposing `old` (the running sums would otherwise pile up until the scope ends). */
function swap<T extends tf.Tensor | null>(old: T, next: T): T {
  if (old) old.dispose();
  return next;
}

function sliceRows<T extends tf.Tensor>(t: T, start: number, size: number): T {
  const begin = t.shape.map((_, i) => (i === 1 ? start : 0));
  const shape = t.shape.map((s, i) => (i === 1 ? size : s));
  return start === 0 && size === t.shape[1] ? (tf.clone(t) as T) : (tf.slice(t, begin, shape) as T);
}

/** kT [BH, d, N] and v [BH, N, d] cut into key blocks (kept until disposed). */
function keyBlocks(kT: tf.Tensor3D, v: tf.Tensor3D, keyBlock: number): { kT: tf.Tensor3D[]; v: tf.Tensor3D[]; blocks: Array<[number, number]> } {
  const [bh, d, n] = kT.shape;
  const blocks = blocksOf(n, keyBlock);
  return {
    blocks,
    kT: blocks.map(([s, size]) => (blocks.length === 1 ? tf.clone(kT) : tf.slice(kT, [0, 0, s], [bh, d, size]))),
    v: blocks.map(([s, size]) => sliceRows(v, s, size)),
  };
}

/**
 * softmax(Q K^T + bias) V per head, with dropout on the weights: q [BH, N, d] (already scaled
 * and rotated), kT [BH, d, N], v [BH, N, d], keyBias [B, N] (0 or MASKED_SCORE per key; null: no
 * mask). Returns [BH, N, d]. Needs the block kernels (blockedAttentionAvailable()).
 */
export function blockedAttention(
  q: tf.Tensor3D,
  kT: tf.Tensor3D,
  v: tf.Tensor3D,
  keyBias: tf.Tensor2D | null,
  options: BlockedAttentionOptions,
): tf.Tensor3D {
  const [bh, n] = q.shape;
  if (kT.shape[2] !== n || v.shape[1] !== n || kT.shape[0] !== bh || v.shape[0] !== bh) {
    throw new Error(`blockedAttention: q [${q.shape}], kT [${kT.shape}] and v [${v.shape}] do not match`);
  }
  if (keyBias && (keyBias.shape[0] * options.heads !== bh || keyBias.shape[1] !== n)) {
    throw new Error(`blockedAttention: key bias [${keyBias.shape}] does not match ${bh / options.heads} examples of ${n} keys`);
  }
  if (!(options.queryBlock >= 1 && options.keyBlock >= 1)) throw new Error(`blockedAttention: block sizes must be positive`);
  const attrsFor = (queryStart: number, keyStart: number): AttentionBlockAttrs => ({
    heads: options.heads,
    keys: n,
    queryStart,
    keyStart,
    masked: keyBias ? 1 : 0,
    rate: options.dropout?.rate ?? 0,
    seed: options.dropout?.seed ?? 1,
    exampleOffset: options.dropout?.exampleOffset ?? 0,
  });
  const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: AttentionBlockAttrs): tf.Tensor[] =>
    tf.engine().runKernel(name, inputs, { ...attrs }) as unknown as tf.Tensor[];

  const attend = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [qIn, kTIn, vIn, biasIn] = args.slice(0, -1) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor2D | undefined];
    // The kernels take a key bias input; unmasked, they never read it.
    const bias = biasIn ?? qIn;
    const keys = keyBlocks(kTIn, vIn, options.keyBlock);
    const outputs: tf.Tensor3D[] = [];
    const maxima: tf.Tensor2D[] = [];
    const sums: tf.Tensor2D[] = [];
    for (const [qStart, qSize] of blocksOf(n, options.queryBlock)) {
      const qi = sliceRows(qIn, qStart, qSize);
      let max: tf.Tensor2D = tf.fill([bh, qSize], -Infinity) as tf.Tensor2D;
      let sum: tf.Tensor2D | null = null;
      let acc: tf.Tensor3D | null = null;
      for (let j = 0; j < keys.blocks.length; j++) {
        const kStart = keys.blocks[j]![0];
        const oldMax: tf.Tensor2D = max;
        const oldSum: tf.Tensor2D | null = sum;
        const oldAcc: tf.Tensor3D | null = acc;
        const next: { max: tf.Tensor2D; sum: tf.Tensor2D; acc: tf.Tensor3D } = tf.tidy(() => {
          const scores = tf.matMul(qi, keys.kT[j]!);
          const [w, m, l] = run(ATTENTION_BLOCK_FORWARD_KERNEL, { scores, keyBias: bias, runningMax: max }, attrsFor(qStart, kStart)) as [
            tf.Tensor3D, tf.Tensor2D, tf.Tensor2D,
          ];
          const mixed = tf.matMul(w, keys.v[j]!) as tf.Tensor3D;
          if (oldSum === null || oldAcc === null) return { max: m, sum: l, acc: mixed };
          // Rescale what the earlier key blocks gave to the new row maximum.
          const alpha = tf.exp(tf.sub(oldMax, m));
          return {
            max: m,
            sum: tf.add(tf.mul(oldSum, alpha), l) as tf.Tensor2D,
            acc: tf.add(tf.mul(oldAcc, tf.expandDims(alpha, 2)), mixed) as tf.Tensor3D,
          };
        });
        max = swap(max, next.max);
        sum = swap(sum, next.sum);
        acc = swap(acc, next.acc);
      }
      outputs.push(tf.div(acc!, tf.expandDims(sum!, 2)));
      tf.dispose([qi, acc!]);
      maxima.push(max);
      sums.push(sum!);
    }
    tf.dispose([...keys.kT, ...keys.v]);
    const join = <T extends tf.Tensor>(parts: T[]): T => {
      if (parts.length === 1) return parts[0]!;
      const whole = tf.concat(parts, 1) as T;
      tf.dispose(parts);
      return whole;
    };
    const [out, rowMax, rowSum] = [join(outputs), join(maxima), join(sums)];
    save(biasIn ? [qIn, kTIn, vIn, out, rowMax, rowSum, biasIn] : [qIn, kTIn, vIn, out, rowMax, rowSum]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [qS, kTS, vS, outS, maxS, sumS, biasS] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D?];
        return tf.tidy(() => {
          const grads = backward(dy as tf.Tensor3D, qS, kTS, vS, biasS ?? qS, outS, maxS, sumS);
          return biasIn ? [...grads, tf.zerosLike(biasIn)] : grads;
        });
      },
    };
  });

  const backward = (
    dOut: tf.Tensor3D, qS: tf.Tensor3D, kTS: tf.Tensor3D, vS: tf.Tensor3D, bias: tf.Tensor, outS: tf.Tensor3D, maxS: tf.Tensor2D, sumS: tf.Tensor2D,
  ): tf.Tensor[] => {
    const delta = tf.sum(tf.mul(dOut, outS), -1) as tf.Tensor2D;
    const keys = keyBlocks(kTS, vS, options.keyBlock);
    const dkT: Array<tf.Tensor3D | null> = keys.blocks.map(() => null);
    const dv: Array<tf.Tensor3D | null> = keys.blocks.map(() => null);
    const dq: tf.Tensor3D[] = [];
    for (const [qStart, qSize] of blocksOf(n, options.queryBlock)) {
      const [qi, dOi, maxi, sumi, deltai] = [qS, dOut, maxS, sumS, delta].map((t) => sliceRows(t, qStart, qSize)) as [
        tf.Tensor3D, tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D,
      ];
      let dqi: tf.Tensor3D | null = null;
      for (let j = 0; j < keys.blocks.length; j++) {
        const kStart = keys.blocks[j]![0];
        const oldDq: tf.Tensor3D | null = dqi;
        const next: { dq: tf.Tensor3D; dkT: tf.Tensor3D; dv: tf.Tensor3D } = tf.tidy(() => {
          const scores = tf.matMul(qi, keys.kT[j]!);
          const dWeights = tf.matMul(dOi, keys.v[j]!, false, true);
          const [w, dScores] = run(
            ATTENTION_BLOCK_BACKWARD_KERNEL, { scores, keyBias: bias, rowMax: maxi, rowSum: sumi, dWeights, delta: deltai }, attrsFor(qStart, kStart),
          ) as [tf.Tensor3D, tf.Tensor3D];
          const dqPart = tf.matMul(dScores, keys.kT[j]!, false, true);
          const dkTPart = tf.matMul(qi, dScores, true, false);
          const dvPart = tf.matMul(w, dOi, true, false);
          return {
            dq: (oldDq ? tf.add(oldDq, dqPart) : dqPart) as tf.Tensor3D,
            dkT: (dkT[j] ? tf.add(dkT[j]!, dkTPart) : dkTPart) as tf.Tensor3D,
            dv: (dv[j] ? tf.add(dv[j]!, dvPart) : dvPart) as tf.Tensor3D,
          };
        });
        dqi = swap(dqi, next.dq);
        dkT[j] = swap(dkT[j]!, next.dkT);
        dv[j] = swap(dv[j]!, next.dv);
      }
      tf.dispose([qi, dOi, maxi, sumi, deltai]);
      dq.push(dqi!);
    }
    const join = (parts: tf.Tensor3D[], axis: number): tf.Tensor3D => (parts.length === 1 ? parts[0]! : (tf.concat(parts, axis) as tf.Tensor3D));
    return [join(dq, 1), join(dkT as tf.Tensor3D[], 2), join(dv as tf.Tensor3D[], 1)];
  };

  return (keyBias ? attend(q, kT, v, keyBias) : attend(q, kT, v)) as tf.Tensor3D;
}
