// FNet's mixing, Re(DFT_seq(DFT_hidden(x))) over the last two axes of a real [batch, N, D]
// array, without forming the complex result: rfft along D (two rows per complex FFT), complex
// FFTs along N for the floor(D/2)+1 kept columns, and the real part of the dropped columns from
// the 2-D conjugate symmetry Y[n, D-k] = conj(Y[(N-n) mod N, k]).
// The map is real, linear and symmetric (Re F = C_N X C_D - S_N X S_D with C, S symmetric), so it
// is its own adjoint: the same routine computes its gradient.
import { complexFft } from './complex-fft.js';
import { rfftBins } from './real-rows.js';
import { WorkBuffers, type Doubles } from './work-buffers.js';

const rowBuffers = new WorkBuffers(2);
const spectrumBuffers = new WorkBuffers(2);
const columnBuffers = new WorkBuffers(2);

export function fnetMixRows(x: Float32Array, batch: number, N: number, D: number, y: Float32Array): void {
  const rowPlan = complexFft(D);
  const columnPlan = complexFft(N);
  const h = rfftBins(D);
  const lastInterior = D % 2 === 0 ? D / 2 - 1 : (D - 1) / 2;
  const [br, bi] = rowBuffers.get(D) as [Doubles, Doubles];
  const [sr, si] = spectrumBuffers.get(N * h) as [Doubles, Doubles];
  const [cr, ci] = columnBuffers.get(N) as [Doubles, Doubles];
  for (let b = 0; b < batch; b++) {
    const base = b * N * D;
    // Half spectra of every row along D, unscaled, into sr/si as [N, h].
    for (let n = 0; n < N; n += 2) {
      const paired = n + 1 < N;
      const in1 = base + n * D;
      for (let d = 0; d < D; d++) br[d] = x[in1 + d]!;
      if (paired) for (let d = 0; d < D; d++) bi[d] = x[in1 + D + d]!;
      else bi.fill(0, 0, D);
      rowPlan.forward(br, bi);
      const o1 = n * h;
      const o2 = o1 + h;
      sr[o1] = br[0]!;
      si[o1] = 0;
      if (paired) {
        sr[o2] = bi[0]!;
        si[o2] = 0;
      }
      for (let k = 1; k <= lastInterior; k++) {
        const zr = br[k]!, zi = bi[k]!, wr = br[D - k]!, wi = bi[D - k]!;
        sr[o1 + k] = 0.5 * (zr + wr);
        si[o1 + k] = 0.5 * (zi - wi);
        if (paired) {
          sr[o2 + k] = 0.5 * (zi + wi);
          si[o2 + k] = 0.5 * (wr - zr);
        }
      }
      if (D % 2 === 0) {
        const k = D / 2;
        sr[o1 + k] = br[k]!;
        si[o1 + k] = 0;
        if (paired) {
          sr[o2 + k] = bi[k]!;
          si[o2 + k] = 0;
        }
      }
    }
    // Columns along N; keep real parts only.
    for (let k = 0; k < h; k++) {
      for (let n = 0; n < N; n++) {
        cr[n] = sr[n * h + k]!;
        ci[n] = si[n * h + k]!;
      }
      columnPlan.forward(cr, ci);
      for (let n = 0; n < N; n++) y[base + n * D + k] = cr[n]!;
      if (k >= 1 && k <= lastInterior) {
        const mirror = D - k;
        y[base + mirror] = cr[0]!;
        for (let n = 1; n < N; n++) y[base + (N - n) * D + mirror] = cr[n]!;
      }
    }
  }
}
