import type { SplitData, SplitName } from '@lra/data';

export interface Truncation {
  split: SplitName;
  /** Examples (or pair documents) longer than the run's length. */
  cut: number;
  count: number;
  longest: number;
}

/** Per split, how many examples a run of length `seqLen` cuts short; empty when none is. */
export function truncatedExamples(splits: Record<SplitName, SplitData>, seqLen: number): Truncation[] {
  const out: Truncation[] = [];
  for (const [split, data] of Object.entries(splits) as Array<[SplitName, SplitData]>) {
    let cut = 0;
    let longest = 0;
    for (const column of [data.documents, data.documents2]) {
      if (column === undefined) continue;
      for (let i = 0; i < column.count; i++) {
        const n = column.length(i);
        if (n > seqLen) cut++;
        if (n > longest) longest = n;
      }
    }
    if (cut > 0) out.push({ split, cut, count: data.count * (data.documents2 ? 2 : 1), longest });
  }
  return out;
}

/** The warning `lra train` logs when `data.seqLen` is shorter than some examples, or null. */
export function truncationWarning(splits: Record<SplitName, SplitData>, seqLen: number): string | null {
  const cuts = truncatedExamples(splits, seqLen);
  if (cuts.length === 0) return null;
  const parts = cuts.map((c) => `${c.cut} of ${c.count} ${c.split} examples (longest ${c.longest})`);
  return `data.seqLen ${seqLen} is shorter than ${parts.join(', ')}: they are cut to their first ${seqLen} tokens`;
}
