// BigBird's middle query blocks (every block but the first and the last) each attend to a list
// of key blocks; these lists, padded to one length, as the dense and the blocked paths gather them;
// and the padding of the sequence to whole blocks that both paths start from.
import * as tf from '@tensorflow/tfjs';

export const MASKED_SCORE = -1e9;

/** The middle query blocks' key blocks as fixed-size lists (`slots` each). */
export interface MiddleSlots {
  slots: number;
  /** [middle * slots] key block of each slot; unused slots point at block 0. */
  indices: Int32Array;
  /** [middle * slots * block] additive bias: MASKED_SCORE on the keys of unused slots. */
  slotBias: Float32Array;
}

export function middleSlots(layout: number[][], block: number): MiddleSlots {
  const middle = layout.length - 2;
  const slots = Math.max(...layout.slice(1, -1).map((keys) => keys.length));
  const indices = new Int32Array(middle * slots);
  const slotBias = new Float32Array(middle * slots * block);
  for (let i = 0; i < middle; i++) {
    const keys = layout[i + 1]!;
    for (let s = 0; s < slots; s++) {
      indices[i * slots + s] = keys[s] ?? 0;
      if (s >= keys.length) slotBias.fill(MASKED_SCORE, (i * slots + s) * block, (i * slots + s + 1) * block);
    }
  }
  return { slots, indices, slotBias };
}


/** q, k, v [BH, N, d] and the real-key mask [BH, N] padded to whole blocks, with the block geometry. */
export interface BlockPadded {
  bh: number;
  length: number;
  d: number;
  block: number;
  blocks: number;
  padded: number;
  qP: tf.Tensor3D;
  kP: tf.Tensor3D;
  vP: tf.Tensor3D;
  realP: tf.Tensor2D;
}

/** Pads the sequence to whole blocks of min(blockSize, N); the layout must have one entry per block. Call inside tf.tidy. */
export function padToBlocks(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, realKeys: tf.Tensor2D, blockSize: number, layout: number[][]): BlockPadded {
  const [bh, length, d] = q.shape;
  const block = Math.min(blockSize, length);
  const blocks = Math.ceil(length / block);
  if (layout.length !== blocks) throw new Error(`bigbird: layout has ${layout.length} blocks, the input ${blocks}`);
  const padded = blocks * block;
  const pad = padded - length;
  const padSeq = (t: tf.Tensor3D): tf.Tensor3D => (pad === 0 ? t : tf.pad(t, [[0, 0], [0, pad], [0, 0]]));
  const realP = pad === 0 ? realKeys : (tf.pad(realKeys, [[0, 0], [0, pad]]) as tf.Tensor2D);
  return { bh, length, d, block, blocks, padded, qP: padSeq(q), kP: padSeq(k), vP: padSeq(v), realP };
}
