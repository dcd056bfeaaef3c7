import { TokenColumn } from '../src/tokens/token-column.js';
import type { SplitData } from '../src/types.js';

/** A split with varied lengths (empty documents included) and token ids 1..300, from a seed. */
export function syntheticSplit(count: number, pair = false, seed = 1): SplitData {
  let state = seed;
  const next = (n: number): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
  const build = (): TokenColumn => {
    const lengths = Array.from({ length: count }, () => next(40));
    const offsets = new Int32Array(count + 1);
    for (let i = 0; i < count; i++) offsets[i + 1] = offsets[i]! + lengths[i]!;
    const tokens = Int32Array.from({ length: offsets[count]! }, () => 1 + next(300));
    return TokenColumn.flat(offsets, tokens);
  };
  const documents = build();
  const data: SplitData = {
    task: 'synthetic',
    split: 'val',
    count,
    seqLen: 40,
    documents,
    labels: Int32Array.from({ length: count }, () => next(10)),
    skipped: 3,
  };
  if (pair) data.documents2 = build();
  return data;
}

/** A split's ids as flat Int32 arrays (copies), to compare splits whatever their storage. */
export function flat(data: SplitData): { offsets: Int32Array; tokens: Int32Array; offsets2?: Int32Array; tokens2?: Int32Array } {
  const first = data.documents.toFlat();
  if (data.documents2 === undefined) return first;
  const second = data.documents2.toFlat();
  return { ...first, offsets2: second.offsets, tokens2: second.tokens };
}
