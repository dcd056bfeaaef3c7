// BigBird's middle query blocks (every block but the first and the last) each attend to a list
// of key blocks; these lists, padded to one length, as the dense and the blocked paths gather them.

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

