// summary.json of scripts/gpu-check.sh: what ran where (the info the script passes: node, GPU,
// Vulkan loader), and one line per step saying how it ended; the figures are in the steps' files.
import type { StepRecord } from './step-record.js';

export interface StepLine {
  step: string;
  ok: boolean;
  exitCode: number;
  timedOut: boolean;
  wallS: number;
  limitS: number;
  skipped?: string;
}

export interface GpuCheckSummary {
  ok: boolean;
  steps: StepLine[];
  [info: string]: unknown;
}

export function summarizeSteps(steps: readonly StepRecord[], info: Record<string, unknown> = {}): GpuCheckSummary {
  const lines = steps.map((s): StepLine => {
    const line: StepLine = { step: s.step, ok: s.ok, exitCode: s.exitCode, timedOut: s.timedOut, wallS: s.wallS, limitS: s.limitS };
    if (s.skipped !== undefined) line.skipped = s.skipped;
    return line;
  });
  return {
    ...info,
    ok: lines.length > 0 && lines.every((l) => l.ok),
    stepsWallS: lines.reduce((t, l) => t + l.wallS, 0),
    steps: lines,
  };
}
