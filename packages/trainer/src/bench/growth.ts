// How a cost grows with the sequence length: a power-law fit of measured points, the exponent an
// N log N curve shows over the same range, and the prediction of the next length's cost that the
// benchmark uses to skip cells that would take too long or not fit in memory.

export interface LengthCost {
  length: number;
  /** A positive cost at that length: milliseconds per step, or bytes. */
  value: number;
}

export interface PowerLawFit {
  /** k in value ~ c N^k (least squares of log value against log N). */
  exponent: number;
  /** c in value ~ c N^k. */
  coefficient: number;
}

/** Least-squares fit of log(value) = log(c) + k log(N) over points with distinct lengths. */
export function fitPowerLaw(points: readonly LengthCost[]): PowerLawFit {
  const usable = points.filter((p) => p.length > 0 && p.value > 0 && Number.isFinite(p.value));
  const lengths = new Set(usable.map((p) => p.length));
  if (lengths.size < 2) throw new Error(`a power-law fit needs two or more distinct lengths with positive costs, got ${usable.length} point(s)`);
  const xs = usable.map((p) => Math.log(p.length));
  const ys = usable.map((p) => Math.log(p.value));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const exponent = sxy / sxx;
  return { exponent, coefficient: Math.exp(my - exponent * mx) };
}

/**
 * The power-law exponent an exact N log N curve shows between two lengths:
 * log((b log b) / (a log a)) / log(b / a), e.g. 1.12 from 1K to 16K. A cost that grows no
 * faster than N log N fits an exponent no larger than this over the same range.
 */
export function nLogNExponent(minLength: number, maxLength: number): number {
  if (!(minLength > 1 && maxLength > minLength)) throw new Error(`nLogNExponent needs 1 < min < max, got ${minLength}, ${maxLength}`);
  const cost = (n: number) => n * Math.log(n);
  return Math.log(cost(maxLength) / cost(minLength)) / Math.log(maxLength / minLength);
}

/** Slack on the exponent before growth counts as faster than N log N: timings on a loaded machine are noisy. */
export const N_LOG_N_TOLERANCE = 0.1;

export interface NLogNCheck {
  minLength: number;
  maxLength: number;
  points: number;
  /** The fitted exponent of the cost against the length. */
  exponent: number;
  /** What N log N alone would give over [minLength, maxLength]. */
  nLogNExponent: number;
  /** True when exponent <= nLogNExponent + N_LOG_N_TOLERANCE. */
  withinNLogN: boolean;
}

/** The "N log N check": does a mixer's cost grow no faster than N log N over the lengths measured? */
export function checkNLogN(points: readonly LengthCost[], tolerance = N_LOG_N_TOLERANCE): NLogNCheck {
  const fit = fitPowerLaw(points);
  const lengths = points.map((p) => p.length);
  const minLength = Math.min(...lengths);
  const maxLength = Math.max(...lengths);
  const reference = nLogNExponent(minLength, maxLength);
  return {
    minLength,
    maxLength,
    points: points.length,
    exponent: fit.exponent,
    nLogNExponent: reference,
    withinNLogN: fit.exponent <= reference + tolerance,
  };
}

/**
 * The growth exponent assumed from a single point, halfway between linear and quadratic mixers:
 * quadratic would skip linear mixers that are slow at 1K (Linformer on wasm) before their second
 * length, and a quadratic mixer's second point corrects the guess at its third length.
 */
export const SINGLE_POINT_EXPONENT = 1.5;

/**
 * The cost at `length` predicted from costs measured at shorter lengths (any order): a power law
 * through the two longest, its exponent clamped to [1, 2] so that one noisy pair neither
 * promises sublinear growth nor explodes; from one point, SINGLE_POINT_EXPONENT. Null with no points.
 * The peer (bench/peer/peer.py) applies the same rule.
 */
export function predictCost(measured: readonly LengthCost[], length: number, maxExponent = 2): number | null {
  const usable = measured.filter((p) => p.value > 0 && Number.isFinite(p.value)).sort((a, b) => a.length - b.length);
  const last = usable[usable.length - 1];
  if (!last) return null;
  const previous = usable[usable.length - 2];
  let exponent = Math.min(maxExponent, SINGLE_POINT_EXPONENT);
  if (previous && previous.length < last.length) {
    const slope = Math.log(last.value / previous.value) / Math.log(last.length / previous.length);
    exponent = Math.min(maxExponent, Math.max(1, slope));
  }
  return last.value * (length / last.length) ** exponent;
}
