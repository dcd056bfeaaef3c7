// Learned filters on the frequency axis: magnitude and phase per row of a static filter, the
// spread across inputs of an adaptive one (mean and percentiles per frequency), the frequency
// response of an impulse response, and the DCT energy a low-pass keeps.
import type { AdaptiveFilterView, DctEnergyView, ImpulseResponseView, SpectralFilterView } from './inspection.js';
import { cyclesPerToken, frequencyResponse, magnitudes, phases } from './frequency.js';

export interface FilterSummary {
  name: string;
  rowLabel: 'head' | 'channel';
  rows: number;
  cyclesPerToken: number[];
  /** [rows][bins]. */
  magnitude: number[][];
  /** [rows][bins] in radians; null for a real filter (zero phase, its sign in `real`). */
  phase: number[][] | null;
  /** [rows][bins], the filter's real values, for real filters (whose sign matters). */
  real: number[][] | null;
}

const rowsOf = (values: ArrayLike<number>, rows: number, width: number): number[][] =>
  Array.from({ length: rows }, (_, r) => Array.from({ length: width }, (_, k) => values[r * width + k]!));

export function summariseFilter(view: SpectralFilterView): FilterSummary {
  const freqs = Array.from(cyclesPerToken(view.fftLength)).slice(0, view.bins);
  return {
    name: view.name,
    rowLabel: view.rowLabel,
    rows: view.rows,
    cyclesPerToken: freqs,
    magnitude: rowsOf(magnitudes(view.re, view.im), view.rows, view.bins),
    phase: view.im ? rowsOf(phases(view.re, view.im), view.rows, view.bins) : null,
    real: view.im ? null : rowsOf(view.re, view.rows, view.bins),
  };
}

export interface AdaptiveFilterSummary {
  name: string;
  rowLabel: 'head' | 'channel';
  rows: number;
  examples: number;
  cyclesPerToken: number[];
  /** Each [rows][bins], over the inputs seen. */
  mean: number[][];
  p10: number[][];
  p50: number[][];
  p90: number[][];
  /** Mean over frequencies of p90 - p10, per row: how much the filter moves with the input. */
  spread: number[];
}

/** The q-quantile of sorted values, linearly interpolated (numpy's default). */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const at = q * (n - 1);
  const lo = Math.floor(at);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** Collects the per-input filters of one adaptive filter over batches. */
export class AdaptiveFilterAccumulator {
  private readonly parts: Float32Array[] = [];
  private examples = 0;
  private shape: AdaptiveFilterView | null = null;

  add(view: AdaptiveFilterView): void {
    if (this.shape && (view.rows !== this.shape.rows || view.bins !== this.shape.bins)) {
      throw new Error(`adaptive filter "${view.name}": batches disagree on shape`);
    }
    this.shape ??= view;
    this.parts.push(view.values);
    this.examples += view.examples;
  }

  summary(): AdaptiveFilterSummary {
    const view = this.shape;
    if (!view) throw new Error('no adaptive filter was added');
    const { rows, bins } = view;
    const stat = (): number[][] => Array.from({ length: rows }, () => new Array<number>(bins).fill(0));
    const [mean, p10, p50, p90] = [stat(), stat(), stat(), stat()];
    const column = new Float64Array(this.examples);
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < bins; k++) {
        let e = 0;
        for (const part of this.parts) {
          for (let b = 0; b < part.length / (rows * bins); b++) column[e++] = part[(b * rows + r) * bins + k]!;
        }
        column.sort();
        mean[r]![k] = column.reduce((s, v) => s + v, 0) / column.length;
        p10[r]![k] = quantileOfSorted(column, 0.1);
        p50[r]![k] = quantileOfSorted(column, 0.5);
        p90[r]![k] = quantileOfSorted(column, 0.9);
      }
    }
    return {
      name: view.name,
      rowLabel: view.rowLabel,
      rows,
      examples: this.examples,
      cyclesPerToken: Array.from(cyclesPerToken(view.fftLength)).slice(0, bins),
      mean,
      p10,
      p50,
      p90,
      spread: p90.map((row, r) => row.reduce((s, v, k) => s + v - p10[r]![k]!, 0) / bins),
    };
  }
}

export interface ImpulseResponseSummary {
  name: string;
  channels: number;
  firstOffset: number;
  /** [channels][taps], taps at offsets firstOffset, firstOffset + 1, ... */
  values: number[][];
  /** The transform of each channel's taps on their own grid (k / taps). */
  frequency: { cyclesPerToken: number[]; magnitude: number[][]; phase: number[][] };
}

export function summariseImpulseResponse(view: ImpulseResponseView): ImpulseResponseSummary {
  const response = frequencyResponse(view.values, view.channels, view.length, view.firstOffset);
  const bins = response.cyclesPerToken.length;
  return {
    name: view.name,
    channels: view.channels,
    firstOffset: view.firstOffset,
    values: rowsOf(view.values, view.channels, view.length),
    frequency: {
      cyclesPerToken: Array.from(response.cyclesPerToken),
      magnitude: rowsOf(magnitudes(response.re, response.im), view.channels, bins),
      phase: rowsOf(phases(response.re, response.im), view.channels, bins),
    },
  };
}

export interface DctEnergySummary {
  length: number;
  kept: number;
  examples: number;
  /** Per input: the fraction of its tokens' energy in the kept (lowest) coefficients. */
  energyKept: { mean: number; min: number; max: number };
  /** Mean over inputs of each coefficient's share of the input's energy ([length]). */
  coefficientShare: number[];
}

export class DctEnergyAccumulator {
  private length = 0;
  private kept = 0;
  private fractions: number[] = [];
  private share: Float64Array = new Float64Array(0);

  add(view: DctEnergyView): void {
    if (this.length === 0) {
      this.length = view.length;
      this.kept = view.kept;
      this.share = new Float64Array(view.length);
    }
    for (let b = 0; b < view.examples; b++) {
      const row = view.coefficientEnergy.subarray(b * view.length, (b + 1) * view.length);
      const total = row.reduce((s, v) => s + v, 0);
      if (!(total > 0)) continue;
      let kept = 0;
      for (let k = 0; k < view.kept; k++) kept += row[k]!;
      this.fractions.push(kept / total);
      for (let k = 0; k < view.length; k++) this.share[k] += row[k]! / total;
    }
  }

  summary(): DctEnergySummary {
    const n = this.fractions.length;
    return {
      length: this.length,
      kept: this.kept,
      examples: n,
      energyKept: {
        mean: this.fractions.reduce((s, v) => s + v, 0) / n,
        min: Math.min(...this.fractions),
        max: Math.max(...this.fractions),
      },
      coefficientShare: Array.from(this.share, (v) => v / n),
    };
  }
}
