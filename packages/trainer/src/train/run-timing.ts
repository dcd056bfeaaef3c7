import { percentiles } from '../util/stats.js';

/**
 * What a run has measured of its own speed and memory, kept in every checkpoint so that a resumed
 * run reports the whole run's numbers, not those of its last process only.
 */
export interface RunTiming {
  /** Milliseconds per step, timed after each process's warm-up steps. */
  stepMs: number[];
  /** Milliseconds of the warm-up steps: the only timing a run of very few steps has. */
  warmupMs: number[];
  peakBytes: number;
  /** Wall-clock seconds of all processes, up to the checkpoint. */
  wallSeconds: number;
}

export function emptyTiming(): RunTiming {
  return { stepMs: [], warmupMs: [], peakBytes: 0, wallSeconds: 0 };
}

/** The timing a checkpoint carries; an empty one for checkpoints written before it existed. */
export function timingOf(meta: { timing?: RunTiming | undefined } | null): RunTiming {
  const t = meta?.timing;
  if (t === undefined) return emptyTiming();
  return { stepMs: [...t.stepMs], warmupMs: [...t.warmupMs], peakBytes: t.peakBytes, wallSeconds: t.wallSeconds };
}

/** Microsecond resolution is plenty, and keeps a long run's checkpoint header small. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** A copy to store, with this process's wall time since `processStart` (ms, Date.now()) added. */
export function timingSnapshot(t: RunTiming, processStart: number): RunTiming {
  return {
    stepMs: t.stepMs.map(round),
    warmupMs: t.warmupMs.map(round),
    peakBytes: t.peakBytes,
    wallSeconds: t.wallSeconds + (Date.now() - processStart) / 1000,
  };
}

/**
 * Median and p90 step time: of the timed steps, or of the warm-up steps when no step was timed
 * (a run of 3 steps or fewer), so the report never holds a speed of null.
 */
export function stepTimes(t: RunTiming): { median: number; p90: number } {
  return percentiles(t.stepMs.length > 0 ? t.stepMs : t.warmupMs);
}
