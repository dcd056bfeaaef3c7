// numpy's norm modes: 'backward' leaves the forward transform unscaled and divides the inverse
// by n, 'forward' the other way round, 'ortho' divides both by sqrt(n).
import type { FftNorm } from './types.js';

const NORMS: readonly FftNorm[] = ['backward', 'ortho', 'forward'];

function checkedNorm(norm: FftNorm | undefined): FftNorm {
  const mode = norm ?? 'backward';
  if (!NORMS.includes(mode)) {
    throw new Error(`unknown FFT norm '${String(norm)}': expected one of ${NORMS.join(', ')}`);
  }
  return mode;
}

/** Factor applied by a forward transform of length n. */
export function forwardScale(norm: FftNorm | undefined, n: number): number {
  const mode = checkedNorm(norm);
  return mode === 'backward' ? 1 : mode === 'ortho' ? 1 / Math.sqrt(n) : 1 / n;
}

/** Factor applied by an inverse transform of length n. */
export function inverseScale(norm: FftNorm | undefined, n: number): number {
  const mode = checkedNorm(norm);
  return mode === 'forward' ? 1 : mode === 'ortho' ? 1 / Math.sqrt(n) : 1 / n;
}
