// Which softmax attention to run for a batch: the fused wasm kernels (nn/fused-attention.ts: no
// weights tensor, every length), the dense [B*H, N, N] weights (fastest elsewhere while they fit
// comfortably) or blocked attention (nn/flash-attention.ts), and its block sizes.

export type AttentionImplementation = 'auto' | 'dense' | 'blocked' | 'fused';

export interface AttentionPlanOptions {
  implementation: AttentionImplementation;
  /** Queries per block; null: from BLOCK_ELEMENTS. */
  blockSize: number | null;
  /** Keys per block; null: from BLOCK_ELEMENTS. */
  keyBlockSize: number | null;
}

export type AttentionPlan = { kind: 'dense' } | { kind: 'fused' } | { kind: 'blocked'; queryBlock: number; keyBlock: number };

/**
 * 'auto' goes blocked above this size of one example's [H, N, N] float32 weights. The dense step
 * keeps several such tensors per layer (scores, weights, dropped weights, their gradients): at
 * LRA's ListOps (8 heads, N 2001: 128 MiB each, 4 layers) one example alone overflowed the 4 GiB
 * wasm heap. The choice is per example, not per batch, so that a micro-batch of any size runs the
 * same implementation: the memory planner measures passes of 1 and 2 examples and extrapolates.
 */
export const DENSE_WEIGHTS_PER_EXAMPLE_BYTES = 16 * 2 ** 20;

/**
 * Elements of one example's [H, Bq, Bk] share of a block (8 MiB; a [B*H, Bq, Bk] block of the
 * benchmark's batch 8 is 64 MiB): the backward holds about six blocks at a time. Larger blocks
 * ran faster (measured at B 8, H 4, N 2048: 512 queries a block took 0.85x the time of 128).
 * Sized per example, not per batch, so that memory grows in proportion to the examples of a pass:
 * the memory planner extrapolates from passes of 1 and 2 examples.
 */
export const BLOCK_ELEMENTS_PER_EXAMPLE = 2 ** 21;

/**
 * Whole rows (every key in one block: the row's softmax is the block's, nothing to rescale) while
 * a block still holds this many queries; longer rows are cut into key blocks.
 */
const MIN_FULL_ROW_QUERIES = 64;

/** Keys per block relative to queries per block when rows are cut: fewer key blocks, fewer rescales. */
const KEY_TO_QUERY_RATIO = 16;

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/**
 * The plan for each example's H rows of `length` queries and keys (the same for any batch). `nested`: the forward runs
 * inside a gradient of a gradient, which neither the blocked nor the fused path's gradient can
 * take (their saved tensors are constants to a further derivative): 'auto' stays dense there,
 * 'blocked' and 'fused' refuse. `fusedProblem`: why the fused kernels cannot run here (the
 * backend has none), null where they can; 'auto' takes them wherever they can.
 */
export function planAttention(heads: number, length: number, options: AttentionPlanOptions, nested = false, fusedProblem: string | null = 'not offered'): AttentionPlan {
  if (nested && (options.implementation === 'blocked' || options.implementation === 'fused')) {
    throw new Error(`attention: implementation '${options.implementation}' cannot be differentiated twice; use 'auto' or 'dense'`);
  }
  if (options.implementation === 'fused') {
    if (fusedProblem !== null) throw new Error(`attention: implementation 'fused' cannot run here: ${fusedProblem}; use 'auto'`);
    return { kind: 'fused' };
  }
  if (options.implementation === 'auto' && !nested && fusedProblem === null) return { kind: 'fused' };
  const blocked =
    options.implementation === 'blocked' ||
    (options.implementation === 'auto' && !nested && heads * length * length * 4 > DENSE_WEIGHTS_PER_EXAMPLE_BYTES);
  if (!blocked) return { kind: 'dense' };
  const fullRows = BLOCK_ELEMENTS_PER_EXAMPLE / (heads * length) >= MIN_FULL_ROW_QUERIES;
  const cutRows = roundUp(Math.sqrt((KEY_TO_QUERY_RATIO * BLOCK_ELEMENTS_PER_EXAMPLE) / heads), 64);
  const keyBlock = Math.min(length, options.keyBlockSize ?? (fullRows ? length : cutRows));
  const queryBlock = Math.min(length, options.blockSize ?? Math.max(16, Math.floor(BLOCK_ELEMENTS_PER_EXAMPLE / (heads * keyBlock))));
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
