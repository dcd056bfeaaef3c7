import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findVulkanLoader } from '../../src/backend/vulkan.js';

describe.runIf(process.platform === 'linux')('findVulkanLoader', () => {
  it('finds a loader on LD_LIBRARY_PATH (as the GPU machine brings it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vk-'));
    writeFileSync(join(dir, 'libvulkan.so.1'), '');
    expect(findVulkanLoader({ LD_LIBRARY_PATH: `/nonexistent:${dir}` })).toBe(join(dir, 'libvulkan.so.1'));
  });
});
