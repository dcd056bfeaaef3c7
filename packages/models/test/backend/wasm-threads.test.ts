import { Script } from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { pthreadWorkerSource } from '../../src/backend/wasm-threads/pthread-worker-file.js';

// Threads are opt-in in the library (selectBackend's default is 1), so this file is the one
// test process that starts the threaded build in-process; the thread count is fixed for the
// process once the wasm backend starts. Training with 1 and 2 threads side by side is compared
// in packages/trainer/test/train/threads.test.ts, a process each.

describe('the threaded wasm build', () => {
  it("the pthread worker script tfjs ships as a string is valid JavaScript once its line breaks are escaped", () => {
    expect(() => new Script(pthreadWorkerSource())).not.toThrow();
  });

  it('starts with the threads asked for, as XNNPACK\'s pool reports them, and computes what one thread does', async () => {
    const log = vi.fn();
    const choice = await selectBackend('wasm', { threads: 2, log });
    expect(choice.threads).toBe(2);
    expect(choice.threadsNote).toBeUndefined();
    expect(log).toHaveBeenCalledWith('backend wasm (wasm, 2 threads)', expect.objectContaining({ threads: 2 }));
    // A product large enough for XNNPACK to split over both threads, against float64.
    const [m, k, n] = [96, 80, 72];
    const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.7));
    const got = await tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])).data();
    let worst = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let want = 0;
        for (let p = 0; p < k; p++) want += a[i * k + p]! * b[p * n + j]!;
        worst = Math.max(worst, Math.abs(got[i * n + j]! - want));
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('keeps its pool when asked again for another count, and says so', async () => {
    const log = vi.fn();
    const choice = await selectBackend('wasm', { threads: 1, log });
    expect(choice.threads).toBe(2);
    expect(log.mock.calls.map((c) => c[0] as string).join('\n')).toMatch(/wasm threads: 2 \(the backend started earlier/);
  });
});
