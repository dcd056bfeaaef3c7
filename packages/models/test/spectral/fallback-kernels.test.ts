// The kernels for backends JavaScript cannot read in place: the tf.spectral path registered for
// 'tensorflow' and the real-valued tfjs-op DFT registered for every other backend. Both run here
// on stand-in backends built from the cpu backend's own kernels, minus the spectral ones, so
// that registration, forward values and gradients go through exactly those code paths.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tensorDft } from '../../src/spectral/kernels/tensor-dft.js';
import * as spectral from '../../src/spectral/index.js';
import { gradcheck } from '../support/gradcheck.js';
import { seededUniform } from '../support/random.js';
import { useBackend } from './backends.js';
import { convolveRef, dctRef, denseDft, fft2Ref, irfftRef, maxAbs, maxAbsDiff, rfftRef, toeplitzRef } from './reference.js';

function standInBackend(name: string): void {
  if (tf.findBackendFactory(name) !== null && tf.findBackendFactory(name) !== undefined) return;
  tf.registerBackend(name, tf.findBackendFactory('cpu')!);
  const spectralNames = new Set<string>(spectral.SPECTRAL_KERNEL_NAMES);
  for (const kernel of tf.getKernelsForBackend('cpu')) {
    if (!spectralNames.has(kernel.kernelName)) tf.registerKernel({ ...kernel, backendName: name });
  }
}

function uniform(seed: string, shape: number[]): tf.Tensor {
  return tf.tensor(Float32Array.from(seededUniform(seed, shape.reduce((a, b) => a * b, 1))), shape);
}

describe('registration', () => {
  it('registers kernels and gradients for loaded and unloaded backends alike', () => {
    for (const backend of ['cpu', 'wasm', 'tensorflow', 'webgl', 'webgpu']) {
      for (const name of spectral.SPECTRAL_KERNEL_NAMES) expect(tf.getKernel(name, backend)).toBeDefined();
    }
    for (const name of spectral.SPECTRAL_KERNEL_NAMES) expect(tf.getGradient(name)).toBeDefined();
    expect(spectral.kernelFamilyFor('wasm')).toBe('javascript');
    expect(spectral.kernelFamilyFor('tensorflow')).toBe('native-fft');
    expect(spectral.kernelFamilyFor('webgpu')).toBe('tensor-ops');
  });

  it('keeps kernels registered earlier (a second copy of the module changes nothing)', () => {
    const before = tf.getKernel(spectral.SPECTRAL_KERNEL_NAMES[0], 'cpu')!.kernelFunc;
    spectral.registerSpectralKernels('cpu');
    expect(tf.getKernel(spectral.SPECTRAL_KERNEL_NAMES[0], 'cpu')!.kernelFunc).toBe(before);
  });
});

describe('real-valued tfjs-op DFT', () => {
  beforeAll(() => useBackend('cpu'));

  // Dense (<= 64), four-step (96, 1024), dense primes (97), Bluestein primes (257, 1021) and a
  // four-step over a Bluestein factor (2 * 1021).
  it.each([1, 2, 7, 64, 96, 97, 257, 1021, 1024, 2042])('matches the dense DFT at n = %i, both directions', (n) => {
    tf.tidy(() => {
      const rows = n > 256 ? 1 : 2;
      const re = seededUniform(`dft-re-${n}`, rows * n);
      const im = seededUniform(`dft-im-${n}`, rows * n);
      for (const inverse of [false, true]) {
        const [yr, yi] = tensorDft(tf.tensor(Float32Array.from(re), [rows, n]), tf.tensor(Float32Array.from(im), [rows, n]), inverse);
        const expected = denseDft({ re, im }, rows, n, inverse, 1);
        const tol = 3e-6 * Math.sqrt(n) * Math.log2(n + 1) + 1e-6;
        expect(maxAbsDiff(yr.dataSync(), expected.re)).toBeLessThan(tol);
        expect(maxAbsDiff(yi.dataSync(), expected.im)).toBeLessThan(tol);
      }
    });
  });
});

describe.each([
  ['lra-stand-in-gpu', 'tensor-ops'],
  ['tensorflow', 'native-fft'],
] as const)('ops on the stand-in backend %s (%s kernels)', (backend, family) => {
  beforeAll(async () => {
    await useBackend('cpu');
    standInBackend(backend);
    await useBackend(backend);
  });

  it('uses the expected kernel family', () => {
    expect(tf.getBackend()).toBe(backend);
    expect(spectral.kernelFamilyFor(backend)).toBe(family);
  });

  it('computes every op like the dense references', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      for (const n of [1, 2, 8, 9, 13, 100]) {
        const x = uniform(`fallback-${n}`, [3, n]);
        const xs = x.dataSync();
        const y = spectral.rfft(x, { n: n + 1, norm: 'ortho' });
        const expected = rfftRef(xs, 3, n, n + 1, 'ortho');
        expect(maxAbsDiff(y.re.dataSync(), expected.re)).toBeLessThan(2e-6 * n);
        expect(maxAbsDiff(y.im.dataSync(), expected.im)).toBeLessThan(2e-6 * n);
        const h = Math.floor(n / 2) + 1;
        const spec = { re: uniform(`fallback-re-${n}`, [3, h]), im: uniform(`fallback-im-${n}`, [3, h]) };
        const back = irfftRef({ re: Float64Array.from(spec.re.dataSync()), im: Float64Array.from(spec.im.dataSync()) }, 3, h, n);
        expect(maxAbsDiff(spectral.irfft(spec, { n }).dataSync(), back)).toBeLessThan(2e-6 * n);
        const z = spectral.ifft(spectral.fft({ re: x, im: spec.re.tile([1, 4]).slice([0, 0], [3, n]) }));
        expect(maxAbsDiff(z.re.dataSync(), xs)).toBeLessThan(1e-5);
        expect(maxAbsDiff(spectral.dct(x).dataSync(), dctRef(xs, 3, n))).toBeLessThan(2e-6 * n);
        expect(maxAbsDiff(spectral.idct(spectral.dct(x)).dataSync(), xs)).toBeLessThan(1e-5);
        const k = uniform(`fallback-k-${n}`, [n]);
        const conv = convolveRef(xs, 3, n, k.dataSync(), 1, n);
        expect(maxAbsDiff(spectral.fftconv(x, k).dataSync(), conv)).toBeLessThan(2e-6 * n * Math.max(1, maxAbs(conv)));
        const c = uniform(`fallback-c-${n}`, [2 * n - 1]);
        expect(maxAbsDiff(spectral.toeplitzMatvec(c, x).dataSync(), toeplitzRef(c.dataSync(), xs, 3, n))).toBeLessThan(2e-5 * n);
      }
      // Along the middle axis of [2, 9, 3] (the kernels' inner layout): the last axis's transform of the transposed tensor.
      const xm = uniform('fallback-middle', [2, 9, 3]);
      const moved = xm.transpose([0, 2, 1]);
      const middle = spectral.rfft(xm, { axis: 1, n: 8 });
      const last = spectral.rfft(moved, { n: 8 });
      expect(maxAbsDiff(middle.re.transpose([0, 2, 1]).dataSync(), last.re.dataSync())).toBeLessThan(1e-6);
      expect(maxAbsDiff(middle.im.transpose([0, 2, 1]).dataSync(), last.im.dataSync())).toBeLessThan(1e-6);
      const backMiddle = spectral.irfft(middle, { n: 9, axis: 1 });
      expect(maxAbsDiff(backMiddle.transpose([0, 2, 1]).dataSync(), spectral.irfft(last, { n: 9 }).dataSync())).toBeLessThan(1e-6);
      const x3 = uniform('fallback-fnet', [2, 6, 5]);
      const fnet = fft2Ref(x3.dataSync(), 2, 6, 5);
      expect(maxAbsDiff(spectral.fnetMix(x3).dataSync(), fnet.re)).toBeLessThan(1e-5);
      expect(maxAbsDiff(spectral.fft2(x3).im.dataSync(), fnet.im)).toBeLessThan(1e-5);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('differentiates through the registered gradients', () => {
    for (const n of [8, 7]) {
      const x = uniform(`fallback-grad-${n}`, [2, n]);
      const w = seededUniform(`fallback-grad-w-${n}`, 2 * (Math.floor(n / 2) + 1));
      const wt = tf.tensor(Float32Array.from(w), [2, Math.floor(n / 2) + 1]);
      // A chain of every kernel: rfft -> irfft -> dct -> idct -> fnetMix -> fft.
      const chain = (t: tf.Tensor) => {
        const s = spectral.rfft(t, { norm: 'ortho' });
        const back = spectral.irfft({ re: tf.mul(s.re, wt), im: tf.mul(s.im, wt) }, { n, norm: 'ortho' });
        const mixed = spectral.fnetMix(spectral.idct(tf.square(spectral.dct(back))));
        const f = spectral.fft({ re: mixed, im: t });
        return tf.add(tf.sum(f.re), tf.sum(tf.mul(f.im, f.im))) as tf.Scalar;
      };
      const result = gradcheck(chain, [x], { eps: 1e-2, atol: 2e-2, rtol: 2e-2 });
      expect(result.maxScaledError, JSON.stringify(result.worst)).toBeLessThanOrEqual(1);
      tf.dispose([x, wt]);
    }
  });

  it('matches the JavaScript kernels of the cpu backend on the same chain', async () => {
    const x = uniform('fallback-same', [2, 10]);
    const run = () =>
      tf.tidy(() => {
        const g = tf.grad((t: tf.Tensor) => {
          const s = spectral.rfft(t);
          // Along the middle axis too (the kernels' inner layout), on [2, 5, 2].
          const m = spectral.rfft(tf.reshape(t, [2, 5, 2]), { axis: 1 });
          const mixed = tf.reshape(spectral.irfft({ re: tf.mul(m.re, m.im), im: m.re }, { n: 5, axis: 1 }), [2, 10]);
          return tf.sum(tf.mul(spectral.fftconv(spectral.irfft(s, { n: 10 }), tf.add(t, mixed)), s.re.mean())) as tf.Scalar;
        })(x);
        return Array.from(g.dataSync());
      });
    const here = run();
    await useBackend('cpu');
    const onCpu = run();
    await useBackend(backend);
    expect(maxAbsDiff(here, onCpu)).toBeLessThan(1e-4 * Math.max(1, maxAbs(onCpu)));
    x.dispose();
  });
});
