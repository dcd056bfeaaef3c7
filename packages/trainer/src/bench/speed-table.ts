// The LRA-style speed table from measured cells: per mixer and length, steps per second and peak
// memory relative to the baseline (this project's softmax attention) at the same length, beside
// LRA's published ratios, plus how each mixer's step time grows with the length.
import { getMixer, isMixerName, type MixerKind } from '@lra/models';
import { checkNLogN, predictCost, type LengthCost, type NLogNCheck } from './growth.js';
import type { ModelBenchRow } from './model-bench.js';
import { publishedRelative, type PublishedRelative } from './published-speed.js';

export interface SpeedCell {
  mixer: string;
  length: number;
  status: 'measured' | 'failed' | 'skipped';
  params: number | null;
  /** Untimed and timed steps behind the medians. */
  warmup: number | null;
  repeats: number | null;
  stepMs: number | null;
  forwardMs: number | null;
  stepsPerSec: number | null;
  tokensPerSec: number | null;
  peakBytes: number | null;
  rssPeakBytes: number | null;
  /** This mixer's steps/s over the baseline's at this length (= baseline step ms / step ms). */
  relativeSpeed: number | null;
  /** This mixer's peakBytes over the baseline's at this length. */
  relativeMemory: number | null;
  /**
   * True when the baseline did not run at this length, so the ratios divide by its cost predicted
   * from its shorter lengths (growth.ts predictCost): an estimate, marked as such.
   */
  baselineEstimated: boolean;
  /** Why there is no measurement: the error or the skip reason. */
  reason: string | null;
  /** LRA Table 2's ratios for the same mixer and length, where it has them. */
  published: PublishedRelative | null;
}

/** Kinds whose step should grow no faster than N log N (FFTs, FFT convolutions, scans). */
export const N_LOG_N_KINDS: ReadonlySet<MixerKind> = new Set(['spectral', 'convolution', 'state-space']);

export interface GrowthRow {
  mixer: string;
  kind: MixerKind | null;
  /** Whether the N log N verdict applies (N_LOG_N_KINDS); the exponent is reported for every mixer. */
  nLogNExpected: boolean;
  /** Null with fewer than two measured lengths. */
  check: NLogNCheck | null;
}

export interface SpeedTable {
  baseline: string;
  lengths: number[];
  mixers: string[];
  /** Mixer-major, lengths ascending. */
  cells: SpeedCell[];
  growth: GrowthRow[];
}

const measured = (r: ModelBenchRow | undefined): boolean =>
  r !== undefined && r.error === undefined && r.skipped === undefined && Number.isFinite(r.stepMs) && r.stepMs > 0;

function kindOf(mixer: string): MixerKind | null {
  return isMixerName(mixer) ? getMixer(mixer).kind : null;
}

/** The baseline's step ms and peak bytes at a length: measured, or predicted from its shorter lengths. */
function baselineAt(rows: readonly ModelBenchRow[], length: number): { stepMs: number; peakBytes: number | null; estimated: boolean } | null {
  const own = rows.find((r) => r.length === length);
  if (own && measured(own)) return { stepMs: own.stepMs, peakBytes: own.peakBytes > 0 ? own.peakBytes : null, estimated: false };
  const shorter = rows.filter((r) => measured(r) && r.length < length);
  const steps: LengthCost[] = shorter.map((r) => ({ length: r.length, value: r.stepMs }));
  const peaks: LengthCost[] = shorter.filter((r) => r.peakBytes > 0).map((r) => ({ length: r.length, value: r.peakBytes }));
  const stepMs = predictCost(steps, length);
  if (stepMs === null) return null;
  return { stepMs, peakBytes: predictCost(peaks, length), estimated: true };
}

export function buildSpeedTable(rows: readonly ModelBenchRow[], baseline: string): SpeedTable {
  const lengths = [...new Set(rows.map((r) => r.length))].sort((a, b) => a - b);
  const mixers = [...new Set(rows.map((r) => r.mixer))];
  const baselineRows = rows.filter((r) => r.mixer === baseline);
  const units = new Map(lengths.map((n) => [n, baselineAt(baselineRows, n)]));
  const cells: SpeedCell[] = [];
  for (const mixer of mixers) {
    for (const length of lengths) {
      const row = rows.find((r) => r.mixer === mixer && r.length === length);
      const unit = units.get(length) ?? null;
      const m = row && measured(row) ? row : null;
      const ok = m !== null;
      const peak = m && m.peakBytes > 0 ? m.peakBytes : null;
      cells.push({
        mixer,
        length,
        status: ok ? 'measured' : row?.error !== undefined ? 'failed' : 'skipped',
        params: m ? m.params : null,
        warmup: m ? m.warmup : null,
        repeats: m ? m.repeats : null,
        stepMs: m ? m.stepMs : null,
        forwardMs: m && Number.isFinite(m.forwardMs) ? m.forwardMs : null,
        stepsPerSec: m ? 1000 / m.stepMs : null,
        tokensPerSec: m ? m.tokensPerSec : null,
        peakBytes: peak,
        rssPeakBytes: m && m.rssPeakBytes > 0 ? m.rssPeakBytes : null,
        relativeSpeed: m && unit ? unit.stepMs / m.stepMs : null,
        relativeMemory: peak !== null && unit?.peakBytes ? peak / unit.peakBytes : null,
        baselineEstimated: ok && unit !== null && unit.estimated,
        reason: ok ? null : (row?.error ?? row?.skipped ?? 'not measured'),
        published: publishedRelative(mixer, length),
      });
    }
  }
  const growth = mixers.map((mixer): GrowthRow => {
    const points = cells.filter((c) => c.mixer === mixer && c.stepMs !== null).map((c) => ({ length: c.length, value: c.stepMs! }));
    const kind = kindOf(mixer);
    return { mixer, kind, nLogNExpected: kind !== null && N_LOG_N_KINDS.has(kind), check: points.length >= 2 ? checkNLogN(points) : null };
  });
  return { baseline, lengths, mixers, cells, growth };
}

export function cellOf(table: SpeedTable, mixer: string, length: number): SpeedCell | undefined {
  return table.cells.find((c) => c.mixer === mixer && c.length === length);
}

export interface SpeedGoal {
  goal: string;
  /** The ratio the goal is about, or null when it could not be measured. */
  value: number | null;
  /** True when the ratio divides by an estimated baseline. */
  estimated: boolean;
  met: boolean | null;
}

/** The project's speed goals within one run: FNet and FFTNet train steps at 4K at least 10x faster than attention. */
export function speedGoals(table: SpeedTable): SpeedGoal[] {
  const goals: SpeedGoal[] = [];
  for (const mixer of ['fftnet', 'fnet']) {
    const cell = cellOf(table, mixer, 4096);
    if (!cell) continue;
    const value = cell.relativeSpeed;
    goals.push({
      goal: `${mixer} train step at 4096 at least 10x faster than ${table.baseline}`,
      value,
      estimated: cell.baselineEstimated,
      met: value === null ? null : value >= 10,
    });
  }
  return goals;
}
