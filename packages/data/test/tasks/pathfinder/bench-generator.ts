// Measures the Pathfinder generator: speed, distractors placed, label balance, margins drawn,
// contour extent, and reading speed. Run: npx vite-node packages/data/test/tasks/pathfinder/bench-generator.ts [--side 128] [--count N]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePathfinder, pathfinderBatchStimuli, resolvePathfinderGeneratorOptions } from '../../../src/tasks/pathfinder/generator.js';
import { readPathfinderSplit } from '../../../src/tasks/pathfinder/reader.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const side = arg('side', 32);
const count = arg('count', side === 32 ? 2000 : 200);
const options = resolvePathfinderGeneratorOptions({ seed: 1, count, imagesPerBatch: 500 }, side);

let distractors = 0;
let ones = 0;
const histogram = new Map<number, number>();
const margins = new Map<number, number>();
let pathLength = 0;
let n = 0;
for (let b = 0; b * options.imagesPerBatch < count; b++) {
  for (const s of pathfinderBatchStimuli(options, b)) {
    n++;
    ones += s.label;
    distractors += s.distractors;
    histogram.set(s.distractors, (histogram.get(s.distractors) ?? 0) + 1);
    margins.set(s.paddleMargin, (margins.get(s.paddleMargin) ?? 0) + 1);
    for (const c of s.contours.slice(0, 2)) {
      for (const p of [...c.paddles, ...c.joins]) pathLength += Math.hypot(p.by - p.ay, p.bx - p.ax);
    }
  }
}
console.log(`side ${side}, ${n} stimuli`);
console.log(`label 1: ${ones} (${((100 * ones) / n).toFixed(1)}%)`);
console.log(`distractor contours placed: mean ${(distractors / n).toFixed(2)} of ${options.settings.distractorCount}`, Object.fromEntries([...histogram].sort((a, b) => a[0] - b[0])));
console.log('paddle margins drawn:', Object.fromEntries(margins));
console.log(`target contour: ${options.settings.contourLength} paddles, mean length along it ${(pathLength / (2 * n)).toFixed(1)} px`);

const dir = await mkdtemp(join(tmpdir(), 'lra-pf-bench-'));
const t0 = performance.now();
await generatePathfinder(dir, options);
const seconds = (performance.now() - t0) / 1000;
console.log(`generate + write ${count}: ${seconds.toFixed(1)} s (${((1000 * seconds) / count).toFixed(1)} ms per image)`);
const layout = { task: 'bench', folder: `pathfinder${side}`, difficulty: 'curv_contour_length_14', side };
const t1 = performance.now();
let rows = 0;
for (const split of ['train', 'val', 'test'] as const) rows += (await readPathfinderSplit(layout, dir, split)).count;
console.log(`read ${rows} images (3 splits): ${((performance.now() - t1) / 1000).toFixed(2)} s`);
await rm(dir, { recursive: true });
