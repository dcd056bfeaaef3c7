// Complex FFT plans for any length: mixed-radix Stockham for lengths whose prime factors are
// small, Bluestein's chirp-z otherwise. Plans are cached per length and own their scratch, so
// the hot loops allocate nothing (JavaScript runs one transform at a time).
import { mixedRadices, nextFastLength } from './factorize.js';
import {
  makeOddRadixTables,
  oddRadixStage,
  radix2Stage,
  radix3Stage,
  radix4Stage,
  radix5Stage,
  radix8FirstStage,
  radix8Stage,
  type OddRadixTables,
} from './stockham-stages.js';
import { doubles, type Doubles } from './work-buffers.js';

/**
 * An unscaled forward DFT, X_k = sum_j x_j exp(-2 pi i j k / n), in place on the first n
 * elements of split real/imaginary double arrays (see work-buffers.ts). The unscaled inverse is the same call with the two
 * arrays swapped: swapping re and im conjugates up to a factor i, which the second swap undoes.
 */
export interface ComplexFft {
  readonly n: number;
  forward(re: Doubles, im: Doubles): void;
}

interface Stage {
  radix: number;
  L: number;
  m: number;
  twr: Doubles;
  twi: Doubles;
  odd: OddRadixTables | null;
}

/** exp(-2 pi i num / den) with the angle reduced first, so large products stay accurate. */
function unitRoot(num: number, den: number): [number, number] {
  const angle = (-2 * Math.PI * (num % den)) / den;
  return [Math.cos(angle), Math.sin(angle)];
}

class MixedRadixFft implements ComplexFft {
  private readonly stages: Stage[] = [];
  private readonly scratchRe: Doubles;
  private readonly scratchIm: Doubles;

  constructor(
    readonly n: number,
    radices: number[],
  ) {
    let L = 1;
    for (const radix of radices) {
      const size = L * radix;
      const twr = doubles(L * (radix - 1));
      const twi = doubles(L * (radix - 1));
      for (let j = 0; j < L; j++) {
        for (let v = 1; v < radix; v++) {
          const [c, s] = unitRoot(j * v, size);
          twr[j * (radix - 1) + v - 1] = c;
          twi[j * (radix - 1) + v - 1] = s;
        }
      }
      const odd = [2, 3, 4, 5, 8].includes(radix) ? null : makeOddRadixTables(radix);
      this.stages.push({ radix, L, m: n / size, twr, twi, odd });
      L = size;
    }
    this.scratchRe = doubles(n);
    this.scratchIm = doubles(n);
  }

  forward(re: Doubles, im: Doubles): void {
    let sr = re, si = im, dr = this.scratchRe, di = this.scratchIm;
    for (const stage of this.stages) {
      const { L, m, twr, twi } = stage;
      switch (stage.radix) {
        case 8:
          if (L === 1) radix8FirstStage(sr, si, dr, di, m);
          else radix8Stage(sr, si, dr, di, L, m, twr, twi);
          break;
        case 4:
          radix4Stage(sr, si, dr, di, L, m, twr, twi);
          break;
        case 2:
          radix2Stage(sr, si, dr, di, L, m, twr, twi);
          break;
        case 3:
          radix3Stage(sr, si, dr, di, L, m, twr, twi);
          break;
        case 5:
          radix5Stage(sr, si, dr, di, L, m, twr, twi);
          break;
        default:
          oddRadixStage(sr, si, dr, di, L, m, twr, twi, stage.odd!);
      }
      const tr = sr, ti = si;
      sr = dr;
      si = di;
      dr = tr;
      di = ti;
    }
    if (sr !== re) {
      for (let k = 0; k < this.n; k++) {
        re[k] = sr[k]!;
        im[k] = si[k]!;
      }
    }
  }
}

/**
 * Bluestein: with w_k = exp(-pi i k^2 / n), X_k = w_k sum_j (x_j w_j) conj(w_{k-j}), a linear
 * convolution computed by a circular one of a fast length m >= 2n - 1.
 */
class BluesteinFft implements ComplexFft {
  private readonly inner: ComplexFft;
  private readonly chirpRe: Doubles;
  private readonly chirpIm: Doubles;
  /** FFT of the conjugate chirp, divided by m so the inverse needs no scaling. */
  private readonly kernelRe: Doubles;
  private readonly kernelIm: Doubles;
  private readonly workRe: Doubles;
  private readonly workIm: Doubles;

  constructor(readonly n: number) {
    const m = nextFastLength(2 * n - 1);
    this.inner = complexFft(m);
    this.chirpRe = doubles(n);
    this.chirpIm = doubles(n);
    for (let k = 0; k < n; k++) {
      // k^2 mod 2n is exact in doubles for any length that fits in memory.
      const [c, s] = unitRoot((k * k) % (2 * n), 2 * n);
      this.chirpRe[k] = c;
      this.chirpIm[k] = s;
    }
    this.kernelRe = doubles(m);
    this.kernelIm = doubles(m);
    for (let k = 0; k < n; k++) {
      this.kernelRe[k] = this.chirpRe[k]! / m;
      this.kernelIm[k] = -this.chirpIm[k]! / m;
      if (k > 0) {
        this.kernelRe[m - k] = this.kernelRe[k]!;
        this.kernelIm[m - k] = this.kernelIm[k]!;
      }
    }
    this.inner.forward(this.kernelRe, this.kernelIm);
    this.workRe = doubles(m);
    this.workIm = doubles(m);
  }

  forward(re: Doubles, im: Doubles): void {
    const { n, chirpRe, chirpIm, kernelRe, kernelIm, workRe, workIm } = this;
    const m = workRe.length;
    for (let k = 0; k < n; k++) {
      const xr = re[k]!, xi = im[k]!, cr = chirpRe[k]!, ci = chirpIm[k]!;
      workRe[k] = xr * cr - xi * ci;
      workIm[k] = xr * ci + xi * cr;
    }
    workRe.fill(0, n, m);
    workIm.fill(0, n, m);
    this.inner.forward(workRe, workIm);
    for (let k = 0; k < m; k++) {
      const ar = workRe[k]!, ai = workIm[k]!, br = kernelRe[k]!, bi = kernelIm[k]!;
      workRe[k] = ar * br - ai * bi;
      workIm[k] = ar * bi + ai * br;
    }
    this.inner.forward(workIm, workRe);
    for (let k = 0; k < n; k++) {
      const yr = workRe[k]!, yi = workIm[k]!, cr = chirpRe[k]!, ci = chirpIm[k]!;
      re[k] = yr * cr - yi * ci;
      im[k] = yr * ci + yi * cr;
    }
  }
}

const plans = new Map<number, ComplexFft>();

/** The cached complex FFT plan for length n (any positive integer). */
export function complexFft(n: number): ComplexFft {
  let plan = plans.get(n);
  if (plan === undefined) {
    const radices = mixedRadices(n);
    plan = radices === null ? new BluesteinFft(n) : new MixedRadixFft(n, radices);
    plans.set(n, plan);
  }
  return plan;
}
