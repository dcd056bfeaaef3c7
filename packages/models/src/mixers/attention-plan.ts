// Which softmax attention to run for a batch: the dense [B*H, N, N] weights (fastest while they
// fit comfortably) or blocked attention (nn/flash-attention.ts), and its block sizes.

export type AttentionImplementation = 'auto' | 'dense' | 'blocked';

export interface AttentionPlanOptions {
  implementation: AttentionImplementation;
  /** Queries per block; null: from BLOCK_ELEMENTS. */
  blockSize: number | null;
  /** Keys per block; null: from BLOCK_ELEMENTS. */
  keyBlockSize: number | null;
}

export type AttentionPlan = { kind: 'dense' } | { kind: 'blocked'; queryBlock: number; keyBlock: number };

/**
 * 'auto' goes blocked above this size of one [B*H, N, N] float32 tensor. The dense step holds
 * several such tensors (scores, weights, dropped weights, their gradients) on a 4 GiB wasm heap;
 * at B 8, H 4 the limit falls between N 2048 (512 MiB, dense) and N 4096 (2 GiB, blocked).
 */
export const DENSE_WEIGHTS_LIMIT_BYTES = 512 * 2 ** 20;

/**
 * Elements of one [B*H, Bq, Bk] block (32 MiB): the backward holds about four blocks at a time.
 * Larger blocks mean fewer tfjs ops per step; the product per head still fits in cache-friendly
 * XNNPACK tiles.
 */
export const BLOCK_ELEMENTS = 2 ** 23;

/** Keys per block relative to queries per block: fewer key blocks mean fewer online-softmax rescales. */
const KEY_TO_QUERY_RATIO = 16;

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/** The plan for batchHeads = B * H rows of `length` queries and keys. */
export function planAttention(batchHeads: number, length: number, options: AttentionPlanOptions): AttentionPlan {
  const blocked =
    options.implementation === 'blocked' || (options.implementation === 'auto' && batchHeads * length * length * 4 > DENSE_WEIGHTS_LIMIT_BYTES);
  if (!blocked) return { kind: 'dense' };
  const keyBlock = Math.min(length, options.keyBlockSize ?? roundUp(Math.sqrt((KEY_TO_QUERY_RATIO * BLOCK_ELEMENTS) / batchHeads), 64));
  const queryBlock = Math.min(length, options.blockSize ?? Math.max(16, Math.floor(BLOCK_ELEMENTS / (batchHeads * keyBlock))));
  return { kind: 'blocked', queryBlock, keyBlock };
}

/** Why the plan options cannot work, or null. */
export function attentionPlanProblem(options: AttentionPlanOptions): string | null {
  for (const key of ['blockSize', 'keyBlockSize'] as const) {
    const value = options[key];
    if (value !== null && !(Number.isInteger(value) && value >= 1)) return `${key} must be a positive integer or null, got ${value}`;
  }
  return null;
}
