// The tensor-op DFT is what WebGPU (and any backend JavaScript cannot read) runs for every spectral
// op. tfjs's own WebGPU FFT is an O(N^2) DFT shader; this path must stay O(N log N). The work is
// counted from the kernels tf.profile records while it runs (multiply-adds of every matrix product,
// elements of every elementwise kernel), so the bound is on the algorithm, not on a timing.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tensorDft } from '../../src/spectral/kernels/tensor-dft.js';
import { useBackend } from './backends.js';

/** Multiply-adds of the matrix products plus elements touched by every other kernel. */
async function dftWork(n: number, rows: number): Promise<{ matmul: number; other: number }> {
  const re = tf.randomUniform([rows, n], -1, 1, 'float32', 3);
  const im = tf.randomUniform([rows, n], -1, 1, 'float32', 4);
  let matmul = 0;
  let other = 0;
  const info = await tf.profile(() => tf.tidy(() => tensorDft(re, im, false)));
  for (const kernel of info.kernels) {
    const shapes = kernel.inputShapes.filter((s): s is number[] => s !== undefined);
    if (kernel.name === 'BatchMatMul' || kernel.name === '_FusedMatMul') {
      const [a, b] = shapes as [number[], number[]];
      const m = a.slice(0, -1).reduce((x, y) => x * y, 1);
      matmul += m * a.at(-1)! * b.at(-1)!;
    } else {
      other += Math.max(...kernel.outputShapes.map((s) => (s ?? []).reduce((x, y) => x * y, 1)));
    }
  }
  tf.dispose([re, im]);
  return { matmul, other };
}

describe('tensor-op DFT (the WebGPU path): work grows as N log N', () => {
  beforeAll(() => useBackend('cpu'));

  // Dense blocks of up to 64 points (matrix products a GPU runs well) at the leaves of a four-step
  // recursion: per N log2 N the multiply-adds stay under a constant (at most ~43, at 4096 = 64 x 64),
  // while a dense DFT's 4 N^2 would be 4 N / log2 N per N log2 N (16,384 at 65,536).
  it('multiply-adds per N log2 N stay under a constant from 256 to 65,536; other kernels touch O(N log N) elements', async () => {
    for (const n of [256, 1024, 4096, 16384, 65536]) {
      const { matmul, other } = await dftWork(n, 1);
      const nLogN = n * Math.log2(n);
      expect(matmul / nLogN).toBeLessThan(48);
      expect(matmul / nLogN).toBeGreaterThan(4); // the count sees the products at all
      // Transposes, twiddle products and adds: O(N) per recursion level.
      expect(other / nLogN).toBeLessThan(8);
    }
  });

  it('lengths with a large prime factor (Bluestein) also stay O(N log N)', async () => {
    const prime = await dftWork(4099, 1);
    const smooth = await dftWork(4096, 1);
    expect(prime.matmul).toBeLessThan(12 * smooth.matmul);
    expect(prime.matmul).toBeLessThan((4 * 4099 * 4099) / 10);
  });
});
