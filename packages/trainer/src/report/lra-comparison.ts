// LRA's Table 1 beside this project's runs: for each of the eleven models and each task, the best
// run of that task x mixer at the lra preset (LRA's own settings), next to the published number.
// Runs of other presets stand in only where no lra run exists, marked with their preset, and are
// never compared with a published number: a smaller model trained for less says nothing about it.
import type { FinishedRun } from './find-runs.js';
import { LRA_TABLE_1_MIXERS, LRA_TASKS, publishedForMixer, type LraTask } from './published.js';

/** The preset that follows LRA's configs: the only one compared with published numbers. */
export const LRA_PRESET = 'lra';

export interface LraComparisonCell {
  /** The run folder shown. */
  run: string;
  preset: string;
  seed: number;
  /** Test accuracy of the run's best validation checkpoint, %. */
  testAccuracy: number;
  /** Test accuracy of its last checkpoint (LRA's code tests that one), %; null for older reports. */
  testAccuracyLast: number | null;
  /** testAccuracy minus the published score, points; null off the lra preset or without a score. */
  diffToPublished: number | null;
  /** The runs of this task x mixer at this preset the best was chosen from. */
  runs: number;
}

export interface LraComparisonRow {
  mixer: string;
  /** The published model's name (LRA Table 1) and source. */
  model: string;
  source: string;
  /** %, null for a FAIL. */
  published: Record<LraTask, number | null>;
  pathxFailed: boolean;
  ours: Partial<Record<LraTask, LraComparisonCell>>;
}

function bestOf(runs: readonly FinishedRun[]): FinishedRun {
  return runs.reduce((best, r) =>
    r.report.metrics.test.accuracy > best.report.metrics.test.accuracy ||
    (r.report.metrics.test.accuracy === best.report.metrics.test.accuracy && r.dir < best.dir)
      ? r
      : best,
  );
}

/** The run a cell shows: the best at the lra preset, else the best at any other (marked). */
function cellFor(runs: readonly FinishedRun[], published: number | null): LraComparisonCell | undefined {
  if (runs.length === 0) return undefined;
  const atLra = runs.filter((r) => r.report.preset === LRA_PRESET);
  const pool = atLra.length > 0 ? atLra : runs;
  const best = bestOf(pool);
  const r = best.report;
  const testAccuracy = r.metrics.test.accuracy * 100;
  return {
    run: best.dir,
    preset: r.preset,
    seed: r.seed,
    testAccuracy,
    testAccuracyLast: r.metrics.testLast ? r.metrics.testLast.accuracy * 100 : null,
    diffToPublished: r.preset === LRA_PRESET && published !== null ? testAccuracy - published : null,
    runs: atLra.length > 0 ? atLra.length : runs.filter((x) => x.report.preset === r.preset).length,
  };
}

/** One row per LRA Table 1 model, in the table's order, whether or not any run exists for it. */
export function buildLraComparison(finished: readonly FinishedRun[]): LraComparisonRow[] {
  return LRA_TABLE_1_MIXERS.map((mixer) => {
    const published = publishedForMixer(mixer)!;
    const ours: Partial<Record<LraTask, LraComparisonCell>> = {};
    for (const task of LRA_TASKS) {
      const cell = cellFor(
        finished.filter((r) => r.report.mixer === mixer && r.report.task === task),
        published.scores[task],
      );
      if (cell) ours[task] = cell;
    }
    return { mixer, model: published.model, source: published.source, published: { ...published.scores }, pathxFailed: published.pathxFailed, ours };
  });
}
