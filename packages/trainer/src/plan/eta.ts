/** "2d 3h", "4h 12m", "7m 05s", "12s": a duration as a person reads it. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'unknown';
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

export interface RunShape {
  /** Training steps still to run. */
  stepsLeft: number;
  batchSize: number;
  /** Evaluations still to run (validation), and examples in each. */
  evaluationsLeft: number;
  valExamples: number;
  /** Test examples (evaluated once, at the end). */
  testExamples: number;
}

/**
 * Seconds until a run ends, from the measured time of a training step: training plus evaluation,
 * whose forward pass per example costs about a third of a training step's forward and backward.
 */
export function etaSeconds(msPerStep: number, run: RunShape): number {
  const msPerExampleForward = msPerStep / run.batchSize / 3;
  const evalMs = (run.evaluationsLeft * run.valExamples + run.testExamples) * msPerExampleForward;
  return (run.stepsLeft * msPerStep + evalMs) / 1000;
}
