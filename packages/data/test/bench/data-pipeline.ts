/**
 * Measures the data side of training: preparing the official-size ListOps data (96,000 training
 * rows) from official-format files, loading a prepared split (trusted by its stamp, and hashed),
 * and the time `batchAt` takes per training step for every task, on splits read back from cache
 * files (one-byte ids, as training reads them). Text, Retrieval, Image, Pathfinder and Path-X use
 * synthetic splits of their real shapes.
 * Run: npx vite-node packages/data/test/bench/data-pipeline.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededBatcher } from '../../src/batching.js';
import { loadCachedSplits } from '../../src/cache/load.js';
import type { TaskManifest } from '../../src/cache/manifest.js';
import { ShardedSplitWriter } from '../../src/cache/shard-writer.js';
import { ensureTaskData, prepareTask } from '../../src/prepare.js';
import { generateListOps } from '../../src/tasks/listops/generator.js';
import type { SplitData } from '../../src/types.js';

const dir = await mkdtemp(join(tmpdir(), 'data-bench-'));

function seconds(t0: number): number {
  return Math.round((performance.now() - t0) / 10) / 100;
}

/** CPU seconds this process has used (user + system): what a step costs whatever else loads the machine. */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** A generator of uniform numbers in [0, 1) from a seed (an LCG: fast, and the same every run). */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Writes a synthetic split of `count` rows to cache files and loads it back, as training gets it.
 * `length()` draws a row's length; ids are 1..256.
 */
async function cachedSynthetic(name: string, count: number, seqLen: number, pair: boolean, length: () => number): Promise<SplitData> {
  const out = join(dir, name);
  const writer = new ShardedSplitWriter({ dir: out, task: name, split: 'train', seqLen, pair, vocabSize: 257, vocabVersion: 'bench' });
  const next = lcg(99);
  const row = new Int32Array(seqLen);
  for (let i = 0; i < row.length; i++) row[i] = 1 + ((i * 31) & 255);
  for (let i = 0; i < count; i++) {
    const a = row.subarray(0, length());
    await writer.add(a, Math.floor(next() * 2), pair ? row.subarray(0, length()) : undefined);
  }
  const { shards } = await writer.finish();
  await writer.publish();
  const files = writer.fileNames().map((file, k) => ({ file, ...shards[k]! }));
  const manifest = { splits: { train: { rows: count, skipped: 0, files } } } as unknown as TaskManifest;
  return (await loadCachedSplits(out, manifest, ['train'])).splits.train!;
}

/** Lengths spread like IMDB reviews or AAN papers: exponential around a mean, capped. */
function spread(mean: number, max: number): () => number {
  const next = lcg(12345);
  return () => Math.min(max, Math.round(-mean * Math.log(1 - next())) + 1);
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
  console.log(`node ${process.version}, ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const source = join(dir, 'listops-1000');
  let t0 = performance.now();
  await generateListOps(source, { seed: 1 });
  console.log(`generated official-size ListOps (96k/2k/2k) in ${seconds(t0)} s`);

  const dataDir = join(dir, 'data');
  t0 = performance.now();
  const cpu0 = cpuSeconds();
  const prepared = await prepareTask({ task: 'listops', dataDir, source });
  const prepareSeconds = seconds(t0);
  const prepareCpu = Math.round((cpuSeconds() - cpu0) * 100) / 100;
  const train = prepared.manifest.splits.train!;
  console.log(`prepared ListOps from official files: ${prepareSeconds} s wall, ${prepareCpu} s CPU (train ${train.rows} rows, ${train.tokens} tokens, ${train.bytes} bytes in ${train.files.length} file)`);

  const splitNames = ['train'] as const;
  const loads: number[] = [];
  for (let k = 0; k < 3; k++) {
    t0 = performance.now();
    await loadCachedSplits(prepared.dir, prepared.manifest, splitNames);
    loads.push(seconds(t0));
  }
  console.log(`loaded the prepared train split (trusted by its stamp): ${loads.join(', ')} s`);
  const verified: number[] = [];
  for (let k = 0; k < 3; k++) {
    t0 = performance.now();
    await loadCachedSplits(prepared.dir, prepared.manifest, splitNames, { verify: true });
    verified.push(seconds(t0));
  }
  console.log(`loaded it with its SHA-256 checked (--verify): ${verified.join(', ')} s`);
  t0 = performance.now();
  const { splits } = await ensureTaskData({ task: 'listops', dataDir, source });
  console.log(`ensureTaskData, every split from the cache: ${seconds(t0)} s`);

  console.log('batchAt per training step (ms), splits read from cache files:');
  console.log('  listops 32 x 2000:', JSON.stringify(timeBatches(splits.train, 32, 2000, 200)));
  const text = await cachedSynthetic('text', 25_000, 4000, false, spread(1300, 4000));
  console.log('  text 32 x 4000:', JSON.stringify(timeBatches(text, 32, 4000, 200)));
  console.log('  text 32 x 4000, bucketing windows of 100 batches:', JSON.stringify(timeBatches(text, 32, 4000, 200, 100)));
  const retrieval = await cachedSynthetic('retrieval', 40_000, 4000, true, spread(6000, 4000));
  console.log('  retrieval pairs 32 x 2 x 4000:', JSON.stringify(timeBatches(retrieval, 32, 4000, 200)));
  const image = await cachedSynthetic('image', 45_000, 1024, false, () => 1024);
  console.log('  image 256 x 1024:', JSON.stringify(timeBatches(image, 256, 1024, 100)));
  const pathfinder = await cachedSynthetic('pathfinder', 160_000, 1024, false, () => 1024);
  console.log('  pathfinder 512 x 1024:', JSON.stringify(timeBatches(pathfinder, 512, 1024, 100)));
  const pathx = await cachedSynthetic('pathx', 4_000, 16_384, false, () => 16_384);
  console.log('  pathx 32 x 16384:', JSON.stringify(timeBatches(pathx, 32, 16_384, 100)));
} finally {
  await rm(dir, { recursive: true, force: true });
}
