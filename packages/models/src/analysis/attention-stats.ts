// Attention heads read as filters (Voita et al. 2019 tell local heads from global ones this way):
// per head, the mean distance |i - j| it reaches over, the entropy of its rows (how sharp, the
// "bandwidth" of the softmax), and its average pattern as a function of the offset j - i, an
// averaged convolution kernel whose spectrum says which frequencies the head passes.
import type { AttentionView } from './inspection.js';
import { frequencyResponse, magnitudes } from './frequency.js';

export interface AttentionHeadSummary {
  head: number;
  /** Mean over real query rows of sum_j p_ij |i - j|, in tokens. */
  meanDistance: number;
  /** Mean row entropy -sum_j p_ij ln p_ij, in nats. */
  entropy: number;
  /** The same rows' entropy if they spread evenly over their real keys: ln(real keys). */
  uniformEntropy: number;
  /**
   * Average pattern by offset j - i from -(N - 1) to N - 1: mean over real query rows of
   * p_{i, i + offset}. It sums to 1: the head's average kernel.
   */
  offsetProfile: { firstOffset: number; values: number[] };
  /** |sum_o a(o) exp(-2 pi i f o)| of that kernel on the grid k / (2N - 1). */
  offsetSpectrum: { cyclesPerToken: number[]; magnitude: number[] };
}

export interface AttentionSummary {
  heads: AttentionHeadSummary[];
  /** Query rows averaged over. */
  rows: number;
  /** Mean pattern per head on a grid of at most `grid` x `grid` cells ([heads, grid, grid], row-major). */
  meanPattern: { grid: number; length: number; values: number[] };
}

const PATTERN_GRID = 64;

/** Accumulates attention statistics over batches of one layer. */
export class AttentionAccumulator {
  private heads = 0;
  private length = 0;
  private rows = 0;
  private distance: Float64Array = new Float64Array(0);
  private entropy: Float64Array = new Float64Array(0);
  private uniform: Float64Array = new Float64Array(0);
  private profile: Float64Array = new Float64Array(0);
  private grid = 0;
  private pattern: Float64Array = new Float64Array(0);
  private cellRows: Float64Array = new Float64Array(0);

  add(view: AttentionView): void {
    const { heads, queries: n, keys } = view;
    if (keys !== n) throw new Error(`attention statistics need as many keys as queries, got ${n} x ${keys}`);
    if (this.heads === 0) {
      this.heads = heads;
      this.length = n;
      this.distance = new Float64Array(heads);
      this.entropy = new Float64Array(heads);
      this.uniform = new Float64Array(heads);
      this.profile = new Float64Array(heads * (2 * n - 1));
      this.grid = Math.min(n, PATTERN_GRID);
      this.pattern = new Float64Array(heads * this.grid * this.grid);
      this.cellRows = new Float64Array(heads * this.grid);
    } else if (heads !== this.heads || n !== this.length) {
      throw new Error(`attention statistics: batches disagree on shape (${this.heads} heads x ${this.length} vs ${heads} x ${n})`);
    }
    const p = view.probabilities;
    const g = this.grid;
    for (let b = 0; b < view.examples; b++) {
      const queryMask = view.queryMask ? view.queryMask.subarray(b * n, (b + 1) * n) : null;
      let realKeys = n;
      if (queryMask) realKeys = queryMask.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);
      const uniform = Math.log(Math.max(1, realKeys));
      for (let i = 0; i < n; i++) {
        if (queryMask && !(queryMask[i]! > 0)) continue;
        for (let h = 0; h < heads; h++) {
          const row = ((b * heads + h) * n + i) * n;
          let dist = 0;
          let ent = 0;
          const cellRow = Math.floor((i * g) / n);
          for (let j = 0; j < n; j++) {
            const w = p[row + j]!;
            if (w <= 0) continue;
            dist += w * Math.abs(i - j);
            ent -= w * Math.log(w);
            this.profile[h * (2 * n - 1) + (j - i + n - 1)] += w;
            this.pattern[(h * g + cellRow) * g + Math.floor((j * g) / n)] += w;
          }
          this.distance[h] += dist;
          this.entropy[h] += ent;
          this.uniform[h] += uniform;
          this.cellRows[h * g + cellRow] += 1;
        }
        this.rows += 1;
      }
    }
  }

  summary(): AttentionSummary {
    const { heads, length: n, rows, grid: g } = this;
    const span = 2 * n - 1;
    const profiles = Float64Array.from(this.profile, (v) => (rows > 0 ? v / rows : Number.NaN));
    const spectrum = rows > 0 ? frequencyResponse(profiles, heads, span, -(n - 1)) : null;
    const bins = spectrum ? spectrum.cyclesPerToken.length : 0;
    const mags = spectrum ? magnitudes(spectrum.re, spectrum.im) : new Float64Array(0);
    const headSummaries: AttentionHeadSummary[] = Array.from({ length: heads }, (_, h) => ({
      head: h,
      meanDistance: this.distance[h]! / rows,
      entropy: this.entropy[h]! / rows,
      uniformEntropy: this.uniform[h]! / rows,
      offsetProfile: { firstOffset: -(n - 1), values: Array.from(profiles.subarray(h * span, (h + 1) * span)) },
      offsetSpectrum: {
        cyclesPerToken: spectrum ? Array.from(spectrum.cyclesPerToken) : [],
        magnitude: Array.from(mags.subarray(h * bins, (h + 1) * bins)),
      },
    }));
    // A cell's mean weight: its summed weight over the rows that fell in its grid row, per key column width.
    const pattern = Array.from(this.pattern, (v, at) => {
      const h = Math.floor(at / (g * g));
      const r = Math.floor((at % (g * g)) / g);
      const c = at % g;
      const rowsIn = this.cellRows[h * g + r]!;
      // Keys j with floor(j g / n) = c.
      const width = Math.ceil(((c + 1) * n) / g) - Math.ceil((c * n) / g);
      return rowsIn > 0 && width > 0 ? v / rowsIn / width : 0;
    });
    return { heads: headSummaries, rows, meanPattern: { grid: g, length: n, values: pattern } };
  }
}
