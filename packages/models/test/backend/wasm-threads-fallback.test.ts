import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it, vi } from 'vitest';
import { quietTfjs } from '../../src/backend/quiet-tfjs.js';
import { startWasm, wasmThreads } from '../../src/backend/wasm-threads/start-wasm.js';

// A file (a process) of its own: the first wasm start of a process decides its build.
describe('the threaded wasm build, when it cannot start', () => {
  it('falls back to the single-threaded build with one line saying why', async () => {
    // As every command runs it (selectBackend): tfjs's own failure messages stay quiet.
    quietTfjs();
    const warn = vi.spyOn(console, 'warn');
    const log = vi.fn();
    const failing = () => Promise.reject(new Error('its pthread workers did not load within 30 s'));
    expect(await startWasm(2, log, failing)).toBe(true);
    expect(tf.getBackend()).toBe('wasm');
    expect(wasmThreads()).toEqual({
      threads: 1, requested: 2, kernelThreads: 1,
      note: 'the threaded build did not start (its pthread workers did not load within 30 s); running single-threaded',
    });
    expect(log.mock.calls).toEqual([['wasm threads: the threaded build did not start (its pthread workers did not load within 30 s); running single-threaded']]);
    expect(warn).not.toHaveBeenCalled();
    expect(await tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).data()).toEqual(new Float32Array([4, 6]));
  });
});
