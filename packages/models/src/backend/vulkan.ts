import { existsSync } from 'node:fs';
import { join } from 'node:path';

const LOADER = 'libvulkan.so.1';
const STANDARD_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib', '/usr/local/lib'];

/**
 * Where Dawn's dlopen would find the Vulkan loader on Linux, or null when it would not. Looking
 * first keeps a machine without Vulkan from loading Dawn at all (which otherwise prints a native
 * warning on stderr that no JavaScript can silence). Other platforms: always "maybe" (undefined).
 */
export function findVulkanLoader(env: NodeJS.ProcessEnv = process.env): string | null | undefined {
  if (process.platform !== 'linux') return undefined;
  const fromEnv = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  for (const dir of [...fromEnv, ...STANDARD_DIRS]) {
    const path = join(dir, LOADER);
    if (existsSync(path)) return path;
  }
  return null;
}
