// The parallel scan shared by S5 and the LRU against the recurrence run one step at a time in
// float64, forwards and backwards, at lengths that are and are not powers of two.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { bidirectionalDiagonalScan, diagonalScan, linearRecurrence } from '../../src/mixers/diagonal-scan.js';
import { seededUniform } from '../support/random.js';
import { sequentialScan } from './support/sequential-scan.js';

const B = 2;
const P = 5;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

// Moduli from 0.1 to 0.999 (long memory) and phases of either sign.
const modulus = [0.1, 0.5, 0.9, 0.99, 0.999];
const phase = [0, 0.3, -1.2, 2.9, 0.01];
const A_RE = Float32Array.from(modulus, (r, i) => r * Math.cos(phase[i]!));
const A_IM = Float32Array.from(modulus, (r, i) => r * Math.sin(phase[i]!));
const LENGTHS = [1, 2, 3, 5, 8, 13, 16, 31, 64, 100];

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`diagonal scan (${backend})`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    it.each(LENGTHS)('equals the float64 recurrence at length %i, forwards and backwards', (length) => {
      const bRe = Float32Array.from(seededUniform(`scan-re-${length}`, B * length * P));
      const bIm = Float32Array.from(seededUniform(`scan-im-${length}`, B * length * P));
      const [forward, backward, alone, aloneBackward] = tf.tidy(() => {
        const a = { re: tf.tensor1d(A_RE), im: tf.tensor1d(A_IM) };
        const b = { re: tf.tensor3d(bRe, [B, length, P]), im: tf.tensor3d(bIm, [B, length, P]) };
        const flat = (z: { re: tf.Tensor; im: tf.Tensor }) => tf.concat([tf.reshape(z.re, [-1]), tf.reshape(z.im, [-1])]).dataSync();
        const [f, r] = bidirectionalDiagonalScan(a, b);
        return [flat(f), flat(r), flat(diagonalScan(a, b)), flat(diagonalScan(a, b, true))];
      });
      const half = B * length * P;
      for (const [got, reverse] of [
        [forward, false],
        [backward, true],
        [alone, false],
      ] as const) {
        const [re, im] = sequentialScan(A_RE, A_IM, bRe, bIm, B, length, P, reverse);
        expect(maxAbsDiff(got.subarray(0, half), re), `re, backward ${reverse}`).toBeLessThan(1e-5);
        expect(maxAbsDiff(got.subarray(half), im), `im, backward ${reverse}`).toBeLessThan(1e-5);
      }
    });

    for (const [name, scan] of [
      ['autodiff of the scan', diagonalScan],
      ['the adjoint recurrence', linearRecurrence],
    ] as const) {
      for (const reverse of [false, true]) {
        it(`has gradients (${name}, backward ${reverse}) that match finite differences of the float64 recurrence`, () => {
          const length = 7;
          const half = B * length * P;
          const bRe = Float32Array.from(seededUniform('scan-g-re', half));
          const bIm = Float32Array.from(seededUniform('scan-g-im', half));
          const w = Float32Array.from(seededUniform('scan-g-w', 2 * half));
          const loss = (aRe: tf.Tensor, aIm: tf.Tensor, b: tf.Tensor) => {
            const [re, im] = tf.split(b, 2, 0) as [tf.Tensor3D, tf.Tensor3D];
            const states = scan({ re: aRe as tf.Tensor1D, im: aIm as tf.Tensor1D }, { re, im }, reverse);
            return tf.sum(tf.mul(tf.concat([states.re, states.im], 0), tf.tensor3d(w, [2 * B, length, P])));
          };
          const inputs = [tf.tensor1d(A_RE), tf.tensor1d(A_IM), tf.concat([tf.tensor3d(bRe, [B, length, P]), tf.tensor3d(bIm, [B, length, P])], 0)];
          const before = tf.memory().numTensors;
          const grads = tf.grads((aRe, aIm, b) => loss(aRe!, aIm!, b!) as tf.Scalar)(inputs);
          const analytic = grads.map((g) => Float64Array.from(g.dataSync()));
          tf.dispose(grads);
          expect(tf.memory().numTensors).toBe(before);
          const reference = (aRe: Float64Array, aIm: Float64Array, b: Float64Array): number => {
            const [re, im] = sequentialScan(aRe, aIm, b.subarray(0, half), b.subarray(half), B, length, P, reverse);
            let sum = 0;
            for (let i = 0; i < half; i++) sum += re[i]! * w[i]! + im[i]! * w[half + i]!;
            return sum;
          };
          const values = inputs.map((t) => Float64Array.from(t.dataSync()));
          const eps = 1e-6;
          values.forEach((value, which) => {
            for (let i = 0; i < value.length; i++) {
              const up = values.map((v) => Float64Array.from(v));
              const down = values.map((v) => Float64Array.from(v));
              up[which]![i] += eps;
              down[which]![i] -= eps;
              const numeric = (reference(up[0]!, up[1]!, up[2]!) - reference(down[0]!, down[1]!, down[2]!)) / (2 * eps);
              expect(Math.abs(analytic[which]![i]! - numeric), `input ${which} element ${i}`).toBeLessThan(1e-3 + 1e-3 * Math.abs(numeric));
            }
          });
          tf.dispose(inputs);
        });
      }
    }
  });
}
