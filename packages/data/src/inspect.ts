import type { SplitData, SplitName, TaskSpec } from './types.js';

const FIRST_TOKENS = 32;

/** The JSON of `lra data inspect` (DESIGN.md). */
export interface SplitInspection {
  task: string;
  split: SplitName;
  count: number;
  seqLen: number;
  vocabSize: number;
  numClasses: number;
  /** labelCounts[c] = number of examples of class c (an array indexed by class). */
  labelCounts: number[];
  /**
   * The first example (null for an empty split): the first 32 ids of its document, and for pair
   * tasks (retrieval) `tokens2`, the first 32 of its second document.
   */
  first: { tokens: number[]; label: number; tokens2?: number[] } | null;
}

export function labelCounts(labels: Int32Array, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const label of labels) {
    if (label < 0 || label >= numClasses) throw new Error(`label ${label} outside 0..${numClasses - 1}`);
    counts[label]!++;
  }
  return counts;
}

/** The accuracy of always answering the most frequent label (0 for no labels). */
export function majorityRate(labels: Int32Array): number {
  if (labels.length === 0) return 0;
  const counts = new Map<number, number>();
  let best = 0;
  for (const label of labels) {
    const c = (counts.get(label) ?? 0) + 1;
    counts.set(label, c);
    if (c > best) best = c;
  }
  return best / labels.length;
}

export function inspectSplit(task: TaskSpec, data: SplitData): SplitInspection {
  let first: SplitInspection['first'] = null;
  if (data.count > 0) {
    const end = Math.min(data.offsets[1]!, data.offsets[0]! + FIRST_TOKENS);
    first = { tokens: Array.from(data.tokens.subarray(data.offsets[0], end)), label: data.labels[0]! };
    if (data.tokens2 !== undefined && data.offsets2 !== undefined) {
      const end2 = Math.min(data.offsets2[1]!, data.offsets2[0]! + FIRST_TOKENS);
      first.tokens2 = Array.from(data.tokens2.subarray(data.offsets2[0], end2));
    }
  }
  return {
    task: data.task,
    split: data.split,
    count: data.count,
    seqLen: data.seqLen,
    vocabSize: task.vocabSize,
    numClasses: task.numClasses,
    labelCounts: labelCounts(data.labels, task.numClasses),
    first,
  };
}
