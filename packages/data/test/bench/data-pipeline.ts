/**
 * Measures the data side of training: preparing the official-size ListOps data (96,000 training
 * rows) from official-format files, loading a prepared split, and the time `batchAt` takes per
 * training step for ListOps (2000 x 32), Text (4000 x 32) and Retrieval pairs (2 x 4000 x 32).
 * Run: npx vite-node packages/data/test/bench/data-pipeline.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededBatcher } from '../../src/batching.js';
import { readSplitArrow } from '../../src/cache/arrow.js';
import { prepareTask } from '../../src/prepare.js';
import { generateListOps } from '../../src/tasks/listops/generator.js';
import type { SplitData } from '../../src/types.js';

const dir = await mkdtemp(join(tmpdir(), 'data-bench-'));

function seconds(t0: number): number {
  return Math.round((performance.now() - t0) / 10) / 100;
}

/** A split of byte-like ids whose lengths spread like IMDB reviews (or AAN papers when long). */
function byteSplit(count: number, meanLength: number, maxLength: number, pair: boolean): SplitData {
  let state = 12345;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const build = (): { offsets: Int32Array; tokens: Int32Array } => {
    const offsets = new Int32Array(count + 1);
    for (let i = 0; i < count; i++) offsets[i + 1] = offsets[i]! + Math.min(maxLength, Math.round(-meanLength * Math.log(1 - next())) + 1);
    const tokens = new Int32Array(offsets[count]!);
    for (let i = 0; i < tokens.length; i++) tokens[i] = 1 + ((i * 31) & 255);
    return { offsets, tokens };
  };
  const a = build();
  const data: SplitData = { task: 'bench', split: 'train', count, seqLen: maxLength, ...a, labels: new Int32Array(count), skipped: 0 };
  if (pair) {
    const b = build();
    data.offsets2 = b.offsets;
    data.tokens2 = b.tokens;
  }
  return data;
}

/** Median and p90 milliseconds of batchAt over `steps` consecutive steps (epoch order cached after the first). */
function timeBatches(data: SplitData, batchSize: number, seqLen: number, steps: number, bucketWindow = 0): { medianMs: number; p90Ms: number; firstMs: number } {
  const batcher = new SeededBatcher(data, { batchSize, seqLen, seed: 7, bucketWindow });
  const t0 = performance.now();
  batcher.batchAt(0);
  const firstMs = performance.now() - t0;
  const times: number[] = [];
  for (let s = 1; s <= steps; s++) {
    const t = performance.now();
    batcher.batchAt(s);
    times.push(performance.now() - t);
  }
  times.sort((x, y) => x - y);
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return { medianMs: r(times[Math.floor(steps / 2)]!), p90Ms: r(times[Math.floor(steps * 0.9)]!), firstMs: r(firstMs) };
}

try {
  const source = join(dir, 'listops-1000');
  let t0 = performance.now();
  await generateListOps(source, { seed: 1 });
  console.log(`generated official-size ListOps (96k/2k/2k) in ${seconds(t0)} s`);

  t0 = performance.now();
  const prepared = await prepareTask({ task: 'listops', dataDir: join(dir, 'data'), source });
  const prepareSeconds = seconds(t0);
  const train = prepared.manifest.splits.train!;
  console.log(`prepared ListOps from official files: ${prepareSeconds} s (train ${train.rows} rows, ${train.tokens} tokens, ${train.bytes} bytes)`);

  const loads: number[] = [];
  let split: SplitData | null = null;
  for (let k = 0; k < 3; k++) {
    t0 = performance.now();
    split = await readSplitArrow(join(prepared.dir, train.file), train.sha256);
    loads.push(seconds(t0));
  }
  console.log(`loaded the prepared train split (checksum verified): ${loads.join(', ')} s`);
  const unchecked: number[] = [];
  for (let k = 0; k < 3; k++) {
    t0 = performance.now();
    await readSplitArrow(join(prepared.dir, train.file));
    unchecked.push(seconds(t0));
  }
  console.log(`loaded it without the checksum: ${unchecked.join(', ')} s`);

  console.log('batchAt per training step (ms):');
  console.log('  listops 32 x 2000:', JSON.stringify(timeBatches(split!, 32, 2000, 200)));
  const text = byteSplit(25_000, 1300, 4000, false);
  console.log('  text 32 x 4000:', JSON.stringify(timeBatches(text, 32, 4000, 200)));
  console.log('  text 32 x 4000, bucketing windows of 100 batches:', JSON.stringify(timeBatches(text, 32, 4000, 200, 100)));
  const retrieval = byteSplit(40_000, 6000, 4000, true);
  console.log('  retrieval pairs 32 x 2 x 4000:', JSON.stringify(timeBatches(retrieval, 32, 4000, 200)));
} finally {
  await rm(dir, { recursive: true, force: true });
}
