/** Median and 90th percentile of timings (nearest rank); NaN for no samples. */
export function percentiles(samples: readonly number[]): { median: number; p90: number } {
  if (samples.length === 0) return { median: Number.NaN, p90: Number.NaN };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return { median: at(0.5), p90: at(0.9) };
}

/** The fraction of the most common label: the accuracy of always guessing it. */
export function majorityRate(labels: ArrayLike<number>): number {
  if (labels.length === 0) return Number.NaN;
  const counts = new Map<number, number>();
  let best = 0;
  for (let i = 0; i < labels.length; i++) {
    const c = (counts.get(labels[i]!) ?? 0) + 1;
    counts.set(labels[i]!, c);
    if (c > best) best = c;
  }
  return best / labels.length;
}
