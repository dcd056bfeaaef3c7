import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import pino from 'pino';
import { ensureTaskData } from '@lra/data';
import { resolveConfig } from '../../src/config/resolve.js';
import { train } from '../../src/train/run.js';
import { silentLogger } from '../../src/util/logger.js';

/** Generated ListOps shared by the tests of this folder (generated once, then read from its cache). */
export const dataDir = mkdtempSync(join(tmpdir(), 'lra-rel-data-'));
const generator = JSON.stringify({ counts: { train: 160, val: 32, test: 32 }, minLength: 8, maxLength: 40, seed: 3 });

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `lra-rel-${prefix}-`));

/** Prepares the shared data once, so that tests starting runs side by side do not both generate it. */
export async function prepareSharedData(): Promise<void> {
  await ensureTaskData({ task: 'listops', dataDir, generate: JSON.parse(generator) as object });
}

/** A tiny ListOps run: seconds on the wasm backend. */
export function tinyConfig(out: string, extra: string[] = []) {
  return resolveConfig({
    task: 'listops',
    mixer: 'attention',
    preset: 'tiny',
    dataDir,
    out,
    sets: [
      `data.generator=${generator}`,
      'data.seqLen=40',
      'backend=wasm',
      'model.dModel=16',
      'model.heads=2',
      'model.layers=1',
      'model.mlpDim=32',
      'train.batchSize=16',
      'train.steps=8',
      'train.warmup=2',
      'train.logEvery=2',
      'train.evalEvery=4',
      'train.evalBatchSize=32',
      ...extra,
    ],
  });
}

/** A logger that keeps its messages, to assert what a run said. */
export function capturingLogger(): { log: pino.Logger; messages: string[] } {
  const messages: string[] = [];
  const log = pino({ level: 'info', base: null }, { write: (line: string) => void messages.push((JSON.parse(line) as { msg: string }).msg) });
  return { log, messages };
}

let finished: string | null = null;

/** A copy of a finished tiny run (trained once per test file). */
export async function finishedRunCopy(prefix: string): Promise<string> {
  if (finished === null) {
    const dir = tempDir('finished');
    await train({ resolved: tinyConfig(dir), log: silentLogger(), progress: false });
    finished = dir;
  }
  const copy = tempDir(prefix);
  cpSync(finished, copy, { recursive: true });
  // The copy is its own run: its config names it, as `lra train --out` would have written.
  const config = JSON.parse(readFileSync(join(copy, 'config.json'), 'utf8')) as { out: string };
  writeFileSync(join(copy, 'config.json'), `${JSON.stringify({ ...config, out: copy }, null, 2)}\n`);
  return copy;
}

/** Every file of a folder with its bytes, to show that nothing in it changed. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path)] = readFileSync(path).toString('base64');
    }
  };
  walk(dir);
  return out;
}

export const metricRecords = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; step: number });
