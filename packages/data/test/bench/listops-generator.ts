/**
 * Measures the ListOps generator and reader and prints the label distribution of generated
 * test splits. Run: npx vite-node packages/data/test/bench/listops-generator.ts [--full]
 * (--full also generates and prepares the whole official-size data set: 100,000 examples).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { labelCounts, majorityRate } from '../../src/inspect.js';
import { prepareTask } from '../../src/prepare.js';
import { ListOpsTreeSampler, generateListOps, resolveListOpsGeneratorOptions } from '../../src/tasks/listops/generator.js';
import { readListOpsFile } from '../../src/tasks/listops/reader.js';
import type { GeneratorInput } from '../../src/types.js';
import type { ListOpsGeneratorOptions } from '../../src/tasks/listops/generator.js';

const dir = await mkdtemp(join(tmpdir(), 'listops-bench-'));

/** Kept trees per second of the sampler alone (no printing, de-duplication or writing). */
function samplerRate(input: GeneratorInput<ListOpsGeneratorOptions>, n: number): { keptPerSec: number; samplesPerKept: number } {
  const sampler = new ListOpsTreeSampler(resolveListOpsGeneratorOptions(input), seedrandom.alea('bench'));
  const t0 = performance.now();
  let kept = 0;
  let samples = 0;
  while (kept < n) {
    samples++;
    if (sampler.sample()) kept++;
  }
  return { keptPerSec: Math.round(n / ((performance.now() - t0) / 1000)), samplesPerKept: Math.round((samples / n) * 10) / 10 };
}

async function testSplit(name: string, input: GeneratorInput<ListOpsGeneratorOptions>): Promise<void> {
  const out = join(dir, name);
  // Test is filled first, so this test split is the one a full generation with this seed makes.
  const t0 = performance.now();
  await generateListOps(out, { ...input, counts: { train: 1, val: 1, test: 2000 } });
  const genSeconds = (performance.now() - t0) / 1000;
  const path = join(out, 'basic_test.tsv');
  const t1 = performance.now();
  const data = await readListOpsFile(path, 'test');
  const readSeconds = (performance.now() - t1) / 1000;
  const lengths = Array.from({ length: data.count }, (_, i) => data.documents.length(i));
  console.log(
    JSON.stringify({
      variant: name,
      examples: data.count,
      generateExamplesPerSec: Math.round(2002 / genSeconds),
      readMBPerSec: Math.round((await stat(path)).size / 1e6 / readSeconds),
      length: { min: Math.min(...lengths), mean: Math.round(lengths.reduce((a, b) => a + b, 0) / lengths.length), max: Math.max(...lengths) },
      labelCounts: labelCounts(data.labels, 10),
      majorityRate: majorityRate(data.labels),
    }),
  );
}

try {
  console.log(JSON.stringify({ sampler: 'official (500 < length < 2000)', ...samplerRate({}, 2000) }));
  console.log(JSON.stringify({ sampler: 'tiny (20 < length < 128)', ...samplerRate({ minLength: 20, maxLength: 128 }, 2000) }));
  await testSplit('official', {});
  await testSplit('tiny', { minLength: 20, maxLength: 128 });
  if (process.argv.includes('--full')) {
    const t0 = performance.now();
    const generated = await prepareTask({ task: 'listops', dataDir: join(dir, 'data'), generate: true });
    const t1 = performance.now();
    // The same files again, as a release: reading, verifying and writing the cache alone.
    const fromSource = await prepareTask({ task: 'listops', dataDir: join(dir, 'data'), source: generated.manifest.source.kind === 'generated' ? generated.manifest.source.rawDir : '' });
    const t2 = performance.now();
    const splits = fromSource.manifest.splits;
    console.log(
      JSON.stringify({
        generateAndPrepareSeconds: Math.round((t1 - t0) / 1000),
        prepareFromFilesSeconds: Math.round((t2 - t1) / 1000),
        rows: Object.values(splits).map((s) => s.rows),
        tokens: Object.values(splits).map((s) => s.tokens),
        arrowBytes: Object.values(splits).map((s) => s.bytes),
        sameAsGenerated: Object.values(splits).every((s, i) => JSON.stringify(s.files) === JSON.stringify(Object.values(generated.manifest.splits)[i]!.files)),
      }),
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
