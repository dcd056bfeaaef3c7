// Batched complex FFTs on float32 split rows.
import { complexFft } from './complex-fft.js';
import { WorkBuffers, type Doubles } from './work-buffers.js';

const buffers = new WorkBuffers(2);

/** DFT (or unscaled inverse DFT when `inverse`) of `rows` rows of length n, times `scale`. */
export function fftRows(
  re: Float32Array, im: Float32Array, rows: number, n: number,
  outRe: Float32Array, outIm: Float32Array, inverse: boolean, scale: number,
): void {
  const plan = complexFft(n);
  const [br, bi] = buffers.get(n) as [Doubles, Doubles];
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) {
      br[j] = re[o + j]!;
      bi[j] = im[o + j]!;
    }
    if (inverse) plan.forward(bi, br);
    else plan.forward(br, bi);
    for (let j = 0; j < n; j++) {
      outRe[o + j] = br[j]! * scale;
      outIm[o + j] = bi[j]! * scale;
    }
  }
}
