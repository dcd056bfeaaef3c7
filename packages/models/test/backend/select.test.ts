import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { BACKEND_REQUESTS, describeMachine, selectBackend } from '../../src/backend/index.js';
import type { BackendName } from '../../src/backend/index.js';
import { batchMatMulConfig } from '../../src/backend/wasm/batch-mat-mul.js';

const PREFERENCE: BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

function installed(specifier: string): boolean {
  try {
    createRequire(import.meta.url).resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

describe('selectBackend', () => {
  it('auto takes the first backend that loads and says why the better ones did not', async () => {
    const log = vi.fn();
    const choice = await selectBackend('auto', { log });
    expect(tf.getBackend()).toBe(choice.tfjsBackend);
    expect(choice.requested).toBe('auto');
    // Everything rejected ranks above the choice.
    for (const rejected of choice.rejected) {
      expect(PREFERENCE.indexOf(rejected.name)).toBeLessThan(PREFERENCE.indexOf(choice.name));
    }
    if (!installed('@tensorflow/tfjs-node-gpu')) {
      expect(choice.rejected).toContainEqual({ name: 'tensorflow', label: 'tensorflow-gpu', reason: 'tensorflow-gpu not installed' });
    }
    if (!installed('@tensorflow/tfjs-node') && !installed('@tensorflow/tfjs-node-gpu')) {
      expect(choice.rejected).toContainEqual({ name: 'tensorflow', label: 'tensorflow', reason: 'tensorflow not installed' });
    }
    if (PREFERENCE.indexOf(choice.name) > PREFERENCE.indexOf('webgpu')) {
      expect(choice.rejected.map((r) => r.name)).toContain('webgpu');
    }
    expect(log).toHaveBeenCalledTimes(1);
    const [line] = log.mock.calls[0] as [string, object];
    expect(line).toBe(`backend ${choice.label} (auto${choice.rejected.length ? `; not available: ${choice.rejected.map((r) => r.label).join(', ')}` : ''})`);
    expect(choice.reason).toContain(choice.rejected.map((r) => r.reason).join('; '));
  });

  it('installs the project kernels for the backend it chooses', async () => {
    const choice = await selectBackend('wasm');
    expect(choice).toMatchObject({ name: 'wasm', tfjsBackend: 'wasm', requested: 'wasm', rejected: [] });
    expect(choice.reason).toBe('requested explicitly');
    expect(choice.device).toBe(describeMachine().cpu);
    expect(tf.getKernel(tf.BatchMatMul, 'wasm').kernelFunc).toBe(batchMatMulConfig.kernelFunc);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('switches to an explicit backend and logs one line', async () => {
    const log = vi.fn();
    const choice = await selectBackend('cpu', { log });
    expect(choice.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(log.mock.calls).toEqual([['backend cpu (cpu)', expect.objectContaining({ name: 'cpu', reason: 'requested explicitly' })]]);
  });

  it('keeps tfjs quiet: no "install our node backend" banner from the cpu backend', async () => {
    const warn = vi.spyOn(console, 'warn');
    const info = vi.spyOn(console, 'log');
    try {
      await selectBackend('cpu');
      tf.tidy(() => tf.ones([2]).add(1).dataSync());
      expect(warn).not.toHaveBeenCalled();
      expect(info).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      info.mockRestore();
    }
  });

  it.skipIf(installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu'))(
    'refuses an explicit backend that cannot load, saying why, instead of falling back',
    async () => {
      await selectBackend('cpu');
      await expect(selectBackend('tensorflow')).rejects.toThrow(
        'backend tensorflow cannot be used: tensorflow-gpu not installed; tensorflow not installed',
      );
      expect(tf.getBackend()).toBe('cpu');
    },
  );

  it('either runs webgpu when asked or says why it cannot', async () => {
    await selectBackend('cpu');
    try {
      const choice = await selectBackend('webgpu');
      expect(choice).toMatchObject({ name: 'webgpu', tfjsBackend: 'webgpu' });
      expect(tf.getBackend()).toBe('webgpu');
    } catch (error) {
      expect(String(error)).toMatch(/^Error: backend webgpu cannot be used: webgpu[ :]/);
      expect(tf.getBackend()).toBe('cpu');
    }
  });

  it('rejects names it does not know', async () => {
    await expect(selectBackend('gpu' as never)).rejects.toThrow(
      `unknown backend 'gpu'; expected one of ${BACKEND_REQUESTS.join(', ')}`,
    );
  });
});

describe('describeMachine', () => {
  it('describes the processor, memory and runtime', () => {
    const machine = describeMachine();
    expect(machine.cpu.length).toBeGreaterThan(0);
    expect(machine.cores).toBeGreaterThanOrEqual(1);
    expect(machine.memoryGiB).toBeGreaterThan(0);
    expect(machine.node).toBe(process.version);
    expect(machine.platform).toBe(`${process.platform}-${process.arch}`);
  });
});
