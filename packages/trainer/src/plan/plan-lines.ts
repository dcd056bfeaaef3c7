import { formatDuration } from './eta.js';
import { formatBytes } from './memory-limit.js';
import type { MemoryPlan } from './memory-plan.js';

/** The line a run prints before step 1. */
export function plannedLine(plan: MemoryPlan, batchSize: number): string {
  return (
    `plan: predicted peak ${formatBytes(plan.predictedPeakBytes)} of ${formatBytes(plan.limitBytes)} (${plan.limitSource}), ` +
    `micro-batch ${plan.microBatch}` +
    (plan.passes > 1 ? ` (${plan.passes} passes per step of ${batchSize})` : ' (the whole batch)')
  );
}

/** The line a run prints once a step after the first is timed: prediction beside measurement, and the ETA. */
export function measuredLine(plan: MemoryPlan, measuredPeakBytes: number, msPerStep: number, etaSeconds: number, stepsLeft: number): string {
  const time = msPerStep >= 10_000 ? `${(msPerStep / 1000).toFixed(1)} s` : `${msPerStep.toFixed(0)} ms`;
  return (
    `plan: predicted peak ${formatBytes(plan.predictedPeakBytes)} (measured ${formatBytes(measuredPeakBytes)}), micro-batch ${plan.microBatch}, ` +
    `${time}/step after warm-up, ETA ${formatDuration(etaSeconds)} for ${stepsLeft} steps`
  );
}
