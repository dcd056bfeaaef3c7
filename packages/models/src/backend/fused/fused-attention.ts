// Softmax attention as two wasm kernels that never hold the [B*H, N, N] weights: the forward
// pass gives the output and each query row's softmax max and 1 / sum, the backward pass
// recomputes the weights a block of rows at a time and gives the gradients of q, k^T and v
// (attention-rows.ts does the work, split over the heap's threads). The dense path writes and
// reads the weights about twenty times a training step (scores, mask, softmax, dropout, their
// gradients): at B 8, 4 heads, N 1024 each pass is 128 MiB, and passes over memory are what
// scaled worst over threads on a shared machine. Only wasm: elsewhere the dense or blocked path runs.
import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap } from '@tensorflow/tfjs';
import { heapThreads, splitAttention, splitAttentionGrad } from '../parallel/heap-pool.js';
import { heapMemoryOf } from '../simd/heap-simd.js';
import { asWasmBackend, heapMemory } from '../wasm/heap.js';
import type { ArrayKernel } from './array-kernel.js';
import {
  attentionBackwardSlice, attentionForwardSlice, attentionRowBlock, attentionSimdFor, backwardScratchFloats, forwardScratchFloats, forwardUnits,
  type AttentionShape,
} from './attention-rows.js';

export const FUSED_ATTENTION_KERNEL = 'LraFusedAttention';
export const FUSED_ATTENTION_GRAD_KERNEL = 'LraFusedAttentionGrad';

/** The kernels' attributes: heads per example, the weights' dropout, whether the bias input is used. */
export interface FusedAttentionAttrs {
  heads: number;
  /** 0: no dropout (inference). */
  rate: number;
  seed: number;
  /** ctx.examples.offset: the pass's first example in the step's whole batch (the dropout's index). */
  exampleOffset: number;
  /** 1: the bias input [B, N] is added to every query's scores (padded keys); 0: it is not read. */
  biased: number;
  /** N before padding to a multiple of 8, which the dropout's index counts (attention-rows.ts); absent: N. */
  dropoutN?: number;
}

/** Why q [BH, N, d], k^T [BH, d, N], v [BH, N, d] and the bias cannot go through the kernels, or null. */
export function fusedAttentionProblem(q: readonly number[], kT: readonly number[], v: readonly number[], bias: readonly number[], a: FusedAttentionAttrs): string | null {
  if (q.length !== 3 || kT.length !== 3 || v.length !== 3) return 'q, k^T and v must be rank 3';
  const [bh, n, d] = q as [number, number, number];
  if (kT.join() !== [bh, d, n].join() || v.join() !== q.join()) return `k^T [${kT.join(', ')}] and v [${v.join(', ')}] must be [${bh}, ${d}, ${n}] and [${bh}, ${n}, ${d}]`;
  if (!(Number.isInteger(a.heads) && a.heads > 0) || bh % a.heads !== 0) return `${bh} heads in all are not a multiple of ${a.heads} heads`;
  if (n % 8 !== 0 || d % 8 !== 0 || n === 0 || d === 0) return `N ${n} and the head width ${d} must be positive multiples of 8`;
  if (a.biased === 1 && bias.join() !== [bh / a.heads, n].join()) return `the key bias [${bias.join(', ')}] must be [${bh / a.heads}, ${n}]`;
  if (!(a.rate >= 0 && a.rate < 1)) return `dropout rate ${a.rate} is not in [0, 1)`;
  if (a.dropoutN !== undefined && !(Number.isInteger(a.dropoutN) && a.dropoutN > 0 && a.dropoutN <= n)) return `dropoutN ${a.dropoutN} is not in [1, ${n}]`;
  return null;
}

function attrsOf(attrs: NamedAttrMap): FusedAttentionAttrs {
  return attrs as unknown as FusedAttentionAttrs;
}

function shapeOf(q: readonly number[], attrs: NamedAttrMap): AttentionShape {
  const a = attrsOf(attrs);
  const [headsTotal, n, d] = q as [number, number, number];
  return { headsTotal, heads: a.heads, n, d, rowBlock: attentionRowBlock(n), rate: a.rate, seed: a.seed, exampleOffset: a.exampleOffset, dropoutN: a.dropoutN ?? n };
}

function check(name: string, [q, kT, v, bias]: number[][], attrs: NamedAttrMap): void {
  const problem = fusedAttentionProblem(q!, kT!, v!, bias!, attrsOf(attrs));
  if (problem !== null) throw new Error(`${name}: ${problem}`);
}

function heapOf(name: string, arrays: Float32Array[]): { readonly buffer: ArrayBufferLike } {
  const memory = heapMemoryOf(arrays) as { readonly buffer: ArrayBufferLike } | undefined;
  if (memory === undefined) throw new Error(`${name}: runs only on the wasm backend's heap`);
  return memory;
}

/** Inputs q, kT, v, bias; outputs the attention [BH, N, d] and each row's softmax max and 1 / sum [BH, N, 2]. */
export const fusedAttentionKernel: ArrayKernel = {
  kernelName: FUSED_ATTENTION_KERNEL,
  inputs: ['q', 'kT', 'v', 'bias'],
  backends: ['wasm'],
  outputShapes(shapes, attrs) {
    check(FUSED_ATTENTION_KERNEL, shapes, attrs);
    const [bh, n] = shapes[0]! as [number, number];
    return [shapes[0]!, [bh, n, 2]];
  },
  scratchFloats([q], attrs) {
    return heapThreads() * forwardScratchFloats(shapeOf(q!, attrs));
  },
  compute([q, kT, v, bias], [qShape], [out, stats], attrs, scratch) {
    const memory = heapOf(FUSED_ATTENTION_KERNEL, [q!, kT!, v!, bias!, out!, stats!, scratch!]);
    const job = {
      ...shapeOf(qShape!, attrs), qAt: q!.byteOffset, kTAt: kT!.byteOffset, vAt: v!.byteOffset,
      biasAt: attrsOf(attrs).biased === 1 ? bias!.byteOffset : -1, outAt: out!.byteOffset, statsAt: stats!.byteOffset, scratchAt: scratch!.byteOffset,
    };
    if (!splitAttention(scratch!, job)) attentionForwardSlice(memory, job, [0, forwardUnits(job)], job.scratchAt);
  },
};

/** Inputs dy, q, kT, v, bias, stats (the forward's); outputs the gradients of q, kT and v. */
export const fusedAttentionGradKernel: ArrayKernel = {
  kernelName: FUSED_ATTENTION_GRAD_KERNEL,
  inputs: ['dy', 'q', 'kT', 'v', 'bias', 'stats'],
  backends: ['wasm'],
  outputShapes(shapes, attrs) {
    const [dy, q, kT, v, bias, stats] = shapes as [number[], number[], number[], number[], number[], number[]];
    check(FUSED_ATTENTION_GRAD_KERNEL, [q, kT, v, bias], attrs);
    if (dy.join() !== q.join() || stats.join() !== [q[0], q[1], 2].join()) {
      throw new Error(`${FUSED_ATTENTION_GRAD_KERNEL}: dy [${dy.join(', ')}] and stats [${stats.join(', ')}] must be [${q.join(', ')}] and [${q[0]}, ${q[1]}, 2]`);
    }
    return [q, kT, v];
  },
  scratchFloats([, q], attrs) {
    return heapThreads() * backwardScratchFloats(shapeOf(q!, attrs));
  },
  compute([dy, q, kT, v, bias, stats], [, qShape], [dq, dkT, dv], attrs, scratch) {
    const memory = heapOf(FUSED_ATTENTION_GRAD_KERNEL, [dy!, q!, kT!, v!, bias!, stats!, dq!, dkT!, dv!, scratch!]);
    const job = {
      ...shapeOf(qShape!, attrs), dyAt: dy!.byteOffset, qAt: q!.byteOffset, kTAt: kT!.byteOffset, vAt: v!.byteOffset,
      biasAt: attrsOf(attrs).biased === 1 ? bias!.byteOffset : -1, statsAt: stats!.byteOffset,
      dqAt: dq!.byteOffset, dkTAt: dkT!.byteOffset, dvAt: dv!.byteOffset, scratchAt: scratch!.byteOffset,
    };
    if (!splitAttentionGrad(scratch!, job)) attentionBackwardSlice(memory, job, [0, job.headsTotal], job.scratchAt);
  },
};

/**
 * The forward kernel's gradient: the backward kernel for q, k^T and v; none for the key bias,
 * which is the padding mask's constant (-1e9 on padded keys), never a parameter.
 */
export const fusedAttentionGradient: tf.GradConfig = {
  kernelName: FUSED_ATTENTION_KERNEL,
  inputsToSave: ['q', 'kT', 'v', 'bias'],
  outputsToSave: [false, true],
  gradFunc: (dys, saved, attrs) => {
    const dy = (dys as tf.Tensor[])[0]!;
    const [q, kT, v, bias, stats] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const [dq, dkT, dv] = tf.engine().runKernel(FUSED_ATTENTION_GRAD_KERNEL, { dy, q, kT, v, bias, stats }, attrs as NamedAttrMap) as tf.Tensor[];
    return { q: () => dq!, kT: () => dkT!, v: () => dv!, bias: () => tf.zerosLike(bias) };
  },
};

/** Why the fused kernels cannot run on the active backend, or null. */
export function fusedAttentionUnavailable(): string | null {
  const backend = tf.getBackend();
  if (backend !== 'wasm' || tf.getKernel(FUSED_ATTENTION_KERNEL, backend) === undefined) return `the ${backend} backend has no fused attention kernels (wasm only)`;
  const memory = heapMemory(asWasmBackend(tf.engine().backend));
  if (memory === undefined || attentionSimdFor(memory) === null) return 'the wasm SIMD kernels did not load';
  return null;
}
