import type { SplitData } from '../src/types.js';

/** A split with varied lengths (empty documents included) and token ids 1..300, from a seed. */
export function syntheticSplit(count: number, pair = false, seed = 1): SplitData {
  let state = seed;
  const next = (n: number): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
  const build = (): { offsets: Int32Array; tokens: Int32Array } => {
    const lengths = Array.from({ length: count }, () => next(40));
    const offsets = new Int32Array(count + 1);
    for (let i = 0; i < count; i++) offsets[i + 1] = offsets[i]! + lengths[i]!;
    const tokens = Int32Array.from({ length: offsets[count]! }, () => 1 + next(300));
    return { offsets, tokens };
  };
  const first = build();
  const data: SplitData = {
    task: 'synthetic',
    split: 'val',
    count,
    seqLen: 40,
    offsets: first.offsets,
    tokens: first.tokens,
    labels: Int32Array.from({ length: count }, () => next(10)),
    skipped: 3,
  };
  if (pair) {
    const second = build();
    data.offsets2 = second.offsets;
    data.tokens2 = second.tokens;
  }
  return data;
}
