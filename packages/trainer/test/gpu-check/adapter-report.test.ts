import { describe, expect, it } from 'vitest';
import { selectBackend } from '@lra/models';
import { adapterReport, checkMatmul, readLimits, REPORTED_LIMITS } from '../../src/gpu-check/adapter-report.js';

/** Like Dawn's GPUSupportedLimits: the limits are getters on the prototype, not own properties. */
class LimitsLike {
  get maxBufferSize(): number { return 2 ** 32; }
  get maxComputeWorkgroupSizeX(): number { return 1024; }
  get label(): string { return 'not a limit'; }
}

describe('the adapter report', () => {
  it('reads limits that live on the prototype, numbers only', () => {
    const limits = readLimits(new LimitsLike() as unknown as Record<string, unknown>);
    expect(limits).toEqual({ maxBufferSize: 2 ** 32, maxComputeWorkgroupSizeX: 1024 });
    expect(REPORTED_LIMITS).toContain('maxStorageBufferBindingSize');
    expect(readLimits(undefined)).toEqual({});
  });

  it('checks a matrix product against float64 and times it', async () => {
    await selectBackend('cpu');
    const check = await checkMatmul(48);
    expect(check.ok).toBe(true);
    expect(check.relError).toBeGreaterThan(0);
    expect(check.relError).toBeLessThan(1e-6);
    expect(check.ms).toBeGreaterThan(0);
    expect(check.gflops).toBeCloseTo((2 * 48 ** 3) / (check.ms * 1e6), 9);
  });

  it('names the backend it ran on, with no adapter off WebGPU', async () => {
    const report = await adapterReport('wasm', [32]);
    expect(report.ok).toBe(true);
    expect(report.backend?.name).toBe('wasm');
    expect(report.adapter).toBeUndefined();
    expect(report.matmul).toHaveLength(1);
  });

  it('says why WebGPU cannot be used, or describes the adapter where it can', async () => {
    const report = await adapterReport('webgpu', [64]);
    if (report.ok) expect(report.adapter?.limits.maxBufferSize).toBeGreaterThan(0);
    else expect(report.reason).toMatch(/^backend webgpu cannot be used: webgpu/);
  });
});
