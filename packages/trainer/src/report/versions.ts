import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { repoRoot } from '../util/paths.js';

export interface Versions {
  lra: string;
  node: string;
  tfjs: string;
  commit: string | null;
  packages: Record<string, string>;
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string | null {
  try {
    const path = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

/** What produced a result: enough to rebuild the same environment. */
export function collectVersions(): Versions {
  const root = repoRoot();
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    commit = null;
  }
  const packages: Record<string, string> = {};
  for (const name of ['@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-backend-webgpu', 'apache-arrow']) {
    const v = packageVersion(name);
    if (v) packages[name] = v;
  }
  return { lra: projectVersion(), node: process.version, tfjs: tf.version.tfjs, commit, packages };
}

/** The version in the repository's package.json; 0.0.0 outside the repository. */
export function projectVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
