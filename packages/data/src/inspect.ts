import type { TokenColumn } from './tokens/token-column.js';
import type { SplitData, SplitName, TaskSpec } from './types.js';

const FIRST_TOKENS = 32;

/** The JSON of `lra data inspect` (docs/design.md). */
export interface SplitInspection {
  task: string;
  split: SplitName;
  count: number;
  seqLen: number;
  vocabSize: number;
  numClasses: number;
  /** labelCounts[c] = number of examples of class c (an array indexed by class). */
  labelCounts: number[];
  /** Malformed rows skipped under --skip-bad when the split was read (0 without it). */
  skipped: number;
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

/** The first FIRST_TOKENS ids of row 0. */
function firstIds(column: TokenColumn): number[] {
  const out = new Int32Array(FIRST_TOKENS);
  return Array.from(out.subarray(0, column.copyRow(0, out, 0, FIRST_TOKENS)));
}

export function inspectSplit(task: TaskSpec, data: SplitData): SplitInspection {
  let first: SplitInspection['first'] = null;
  if (data.count > 0) {
    first = { tokens: firstIds(data.documents), label: data.labels[0]! };
    if (data.documents2 !== undefined) first.tokens2 = firstIds(data.documents2);
  }
  return {
    task: data.task,
    split: data.split,
    count: data.count,
    seqLen: data.seqLen,
    vocabSize: task.vocabSize,
    numClasses: task.numClasses,
    labelCounts: labelCounts(data.labels, task.numClasses),
    skipped: data.skipped,
    first,
  };
}
