// The complex diagonal recurrence run one step at a time in float64: what the parallel scan of
// S5 and the LRU is checked against.

/** x_t = a x_{t-1} + b_t (or x_t = a x_{t+1} + b_t backwards), complex, in float64; b re/im [B, L, P]. */
export function sequentialScan(
  aRe: ArrayLike<number>,
  aIm: ArrayLike<number>,
  bRe: ArrayLike<number>,
  bIm: ArrayLike<number>,
  batch: number,
  length: number,
  width: number,
  backward = false,
): [Float64Array, Float64Array] {
  const re = new Float64Array(batch * length * width);
  const im = new Float64Array(batch * length * width);
  for (let n = 0; n < batch; n++) {
    for (let p = 0; p < width; p++) {
      let sRe = 0;
      let sIm = 0;
      for (let step = 0; step < length; step++) {
        const t = backward ? length - 1 - step : step;
        const i = (n * length + t) * width + p;
        const nextRe = aRe[p]! * sRe - aIm[p]! * sIm + bRe[i]!;
        sIm = aRe[p]! * sIm + aIm[p]! * sRe + bIm[i]!;
        sRe = nextRe;
        re[i] = sRe;
        im[i] = sIm;
      }
    }
  }
  return [re, im];
}
